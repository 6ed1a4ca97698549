using JasperFx.Events;
using LoraPipeline.Billing.Contracts;
using LoraPipeline.Platform;
using Marten.Events.Aggregation;
using Marten.Schema;

namespace LoraPipeline.Billing.Budgets;

/// <summary>The user set (or removed, with null) a monthly budget; with a hard limit, it stops spending.</summary>
public sealed record BudgetSet(Guid UserId, decimal? MonthlyLimit, bool HardLimit, DateTimeOffset At);


/// <summary>A user's budget, built inline from its stream (one stream per user).</summary>
public sealed class Budget
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public decimal? MonthlyLimit { get; set; }
    public bool HardLimit { get; set; }

    /// <summary>Thresholds already notified, as "yyyy-MM:percent".</summary>
    public List<string> Notified { get; set; } = [];

    public DateTimeOffset UpdatedAt { get; set; }

    [Version]
    public long Version { get; set; }

    public static Guid StreamIdFor(Guid userId) => DeterministicGuid.From("budget", userId.ToString());

    public bool WasNotified(string month, int percent) => Notified.Contains($"{month}:{percent}");
}

public sealed partial class BudgetProjection : SingleStreamProjection<Budget, Guid>
{
    public Budget Create(BudgetSet e, IEvent meta) => new()
    {
        Id = meta.StreamId,
        UserId = e.UserId,
        MonthlyLimit = e.MonthlyLimit,
        HardLimit = e.HardLimit,
        UpdatedAt = e.At,
    };

    public void Apply(BudgetSet e, Budget budget)
    {
        budget.MonthlyLimit = e.MonthlyLimit;
        budget.HardLimit = e.HardLimit;
        budget.UpdatedAt = e.At;
    }

    public void Apply(BudgetThresholdReached e, Budget budget) => budget.Notified.Add($"{e.Month}:{e.Percent}");
}
