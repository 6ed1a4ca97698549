using System.Text.Json.Serialization;
using System.Security.Claims;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.Contracts;
using Marten;
using Wolverine.Http;

namespace LoraPipeline.Billing.Budgets;

/// <summary>
/// <c>monthly_limit</c> in dollars (null removes the budget); <c>hard_limit</c> refuses new jobs and cancels running ones at the limit.
/// An unknown field is refused: with a misspelt limit (<c>monthlyLimit</c>) the PUT would remove the budget.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SetBudget(decimal? MonthlyLimit, bool HardLimit = false);

public static class GetBudgetEndpoint
{
    /// <summary>The monthly budget and this month's use of it, including the running jobs' accruing cost.</summary>
    [WolverineGet("/api/budget", OperationId = "GetBudget"), Tags("Costs")]
    public static async Task<ApiResponse<BudgetUsage>> Get(ClaimsPrincipal caller, IQuerySession session, ITrainingJobs jobs, TimeProvider clock, CancellationToken ct)
    {
        var userId = caller.UserId();
        var budget = await session.LoadAsync<Budget>(Budget.StreamIdFor(userId), ct);
        return Api.Ok(await BudgetUsage.ComputeAsync(session, budget, jobs, userId, clock.GetUtcNow(), ct));
    }
}

public static class SetBudgetEndpoint
{
    public const decimal MaxLimit = 1_000_000m;

    [WolverinePut("/api/budget", OperationId = "SetBudget"), Tags("Costs")]
    public static async Task<ApiResponse<BudgetUsage>> Put(
        SetBudget body, ClaimsPrincipal caller, IDocumentSession session, ITrainingJobs jobs, TimeProvider clock, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (body.MonthlyLimit is { } limit && (limit <= 0 || limit > MaxLimit || decimal.Round(limit, 2) != limit))
        {
            errors.Add("monthly_limit", $"must be a positive amount in dollars and cents, at most {MaxLimit:N0}, or null to remove the budget");
        }
        else if (body is { MonthlyLimit: null, HardLimit: true })
        {
            errors.Add("hard_limit", "needs a monthly_limit to hold jobs to");
        }

        if (errors.Any)
        {
            throw ApiProblems.Validation(errors);
        }

        var userId = caller.UserId();
        var streamId = Budget.StreamIdFor(userId);
        session.Events.Append(streamId, new BudgetSet(userId, body.MonthlyLimit, body.MonthlyLimit is not null && body.HardLimit, clock.GetUtcNow()));
        await session.SaveChangesAsync(ct);

        var budget = await session.LoadAsync<Budget>(streamId, ct);
        return Api.Ok(await BudgetUsage.ComputeAsync(session, budget, jobs, userId, clock.GetUtcNow(), ct));
    }
}
