using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.Contracts;
using Marten;

namespace LoraPipeline.Billing.Budgets;

/// <summary>
/// With a hard limit, a job whose estimate would take this month's spending (recorded plus
/// accruing) over the budget is refused, saying by how much.
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
        if (usage.Used + estimatedCost <= limit)
        {
            return null;
        }

        return $"This job's estimated ${estimatedCost:0.00} on top of ${usage.Used:0.00} used in {usage.Month} exceeds the hard monthly budget of ${limit:0.00}. " +
               "Raise the budget (PUT /api/budget) or choose a cheaper configuration.";
    }
}
