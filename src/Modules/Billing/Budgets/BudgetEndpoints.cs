using System.Security.Claims;
using System.Text.Json.Serialization;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.Contracts;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

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

/// <summary>Set (or remove) the caller's monthly budget; answers its use this month under the new limit.</summary>
public static class SetBudgetEndpoint
{
    public const decimal MaxLimit = 1_000_000m;

    public static ProblemDetails Validate(SetBudget body)
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

        return errors.Any ? ApiProblems.Validation(errors).ToProblemDetails() : WolverineContinue.NoProblems;
    }

    [WolverinePut("/api/budget", OperationId = "SetBudget"), Tags("Costs")]
    public static async Task<ApiResponse<BudgetUsage>> Put(
        SetBudget body, ClaimsPrincipal caller, IMessageBus bus, IQuerySession session, ITrainingJobs jobs, TimeProvider clock, CancellationToken ct)
    {
        var userId = caller.UserId();
        await bus.InvokeAsync(new ChangeBudget(userId, body.MonthlyLimit, body.HardLimit), ct);
        var budget = await session.LoadAsync<Budget>(Budget.StreamIdFor(userId), ct);
        return Api.Ok(await BudgetUsage.ComputeAsync(session, budget, jobs, userId, clock.GetUtcNow(), ct));
    }
}

/// <summary>Change a user's budget (its stream's id derives from the user's).</summary>
public sealed record ChangeBudget(Guid UserId, decimal? MonthlyLimit, bool HardLimit)
{
    public Guid BudgetId => Budget.StreamIdFor(UserId);
}

public static class ChangeBudgetHandler
{
    /// <summary>A hard limit needs a limit: without one it is dropped, as the endpoint refuses it anyway.</summary>
    public static BudgetSet Handle(ChangeBudget command, [WriteAggregate(nameof(ChangeBudget.BudgetId), Required = false)] Budget? budget, TimeProvider clock) =>
        new(command.UserId, command.MonthlyLimit, command.MonthlyLimit is not null && command.HardLimit, clock.GetUtcNow());
}
