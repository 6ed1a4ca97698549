using System.Globalization;
using LoraPipeline.Billing.Costs;
using LoraPipeline.Training.Contracts;
using Marten;

namespace LoraPipeline.Billing.Budgets;

public enum BudgetStatus
{
    None,
    Ok,
    Warning,
    Exceeded,
}

/// <summary>
/// This month's spending against the budget: what is recorded (the daily roll-up) plus what the
/// running jobs are accruing right now.
/// </summary>
public sealed record BudgetUsage(
    decimal? MonthlyLimit, bool HardLimit, string Month, decimal Spent, decimal Accruing, decimal Used, decimal? PercentUsed, BudgetStatus Status)
{
    public const int WarningPercent = 80;

    public static string MonthOf(DateTimeOffset now) => now.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    public static async Task<BudgetUsage> ComputeAsync(
        IQuerySession session, Budget? budget, ITrainingJobs jobs, Guid userId, DateTimeOffset now, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var first = new DateOnly(today.Year, today.Month, 1);
        var spent = (await session.Query<DailyCost>().Where(d => d.Date >= first && d.Date <= today).ToListAsync(ct)).Sum(d => d.Total);
        var accruing = (await jobs.AccruingCostsAsync(userId, ct)).Sum(j => j.CurrentCost);
        var used = spent + accruing;
        var limit = budget?.MonthlyLimit;
        // the percentage is rounded for display only: $999.50 of $1,000 shows 100.0 but is not exceeded
        decimal? percent = limit is > 0 ? Math.Round(100m * used / limit.Value, 1) : null;
        var status = limit switch
        {
            not > 0 => BudgetStatus.None,
            { } l when used >= l => BudgetStatus.Exceeded,
            { } l when 100m * used >= WarningPercent * l => BudgetStatus.Warning,
            _ => BudgetStatus.Ok,
        };
        return new BudgetUsage(limit, budget?.HardLimit ?? false, MonthOf(now), spent, accruing, used, percent, status);
    }
}
