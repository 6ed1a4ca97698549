using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.Contracts;
using Marten;

namespace LoraPipeline.Billing.Budgets;

/// <summary>
/// With a hard limit, a job whose estimate would take this month's spending (recorded plus
/// accruing) and what unfinished jobs are still expected to cost over the budget is refused,
/// saying by how much. Creates racing each other are not serialised (README, Known limits).
/// </summary>
internal sealed class BudgetAdmission(IDocumentStore store, ITrainingJobs jobs, TimeProvider clock) : IJobAdmission
{
    public async Task<string?> RefuseAsync(Guid userId, decimal estimatedCost, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var budget = await session.LoadAsync<Budget>(Budget.StreamIdFor(userId), ct);
        if (budget is not { HardLimit: true, MonthlyLimit: { } limit })
        {
            return null;
        }

        var usage = await BudgetUsage.ComputeAsync(session, budget, jobs, userId, clock.GetUtcNow(), ct);
        // unfinished jobs will spend about their estimates: without them, ten jobs created back to back all passed
        var reserved = await jobs.RemainingEstimatesAsync(userId, ct);
        if (usage.Used + reserved + estimatedCost <= limit)
        {
            return null;
        }

        var unfinished = reserved > 0 ? $" and ${reserved:0.00} still expected from unfinished jobs" : "";
        return $"This job's estimated ${estimatedCost:0.00} on top of ${usage.Used:0.00} used{unfinished} in {usage.Month} exceeds the hard monthly budget of ${limit:0.00}. " +
               "Raise the budget (PUT /api/budget), wait for running jobs to finish, or choose a cheaper configuration.";
    }

    public async Task<decimal?> BudgetLeftAsync(Guid userId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var budget = await session.LoadAsync<Budget>(Budget.StreamIdFor(userId), ct);
        if (budget is not { HardLimit: true, MonthlyLimit: { } limit })
        {
            return null;
        }

        var usage = await BudgetUsage.ComputeAsync(session, budget, jobs, userId, clock.GetUtcNow(), ct);
        var reserved = await jobs.RemainingEstimatesAsync(userId, ct);
        return Math.Max(0m, limit - usage.Used - reserved);
    }
}
