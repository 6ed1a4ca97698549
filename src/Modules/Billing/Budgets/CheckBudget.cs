using LoraPipeline.Billing.Contracts;
using LoraPipeline.Platform.Background;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.Contracts;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Marten;

namespace LoraPipeline.Billing.Budgets;

/// <summary>Compare one user's spending with their budget now.</summary>
public sealed record CheckBudget(Guid UserId)
{
    public Guid BudgetId => Budget.StreamIdFor(UserId);
}

public static class BudgetRules
{
    /// <summary>The thresholds crossed and not yet notified this month, lowest first.</summary>
    public static List<BudgetThresholdReached> Crossed(Budget budget, BudgetUsage usage, DateTimeOffset now)
    {
        var crossed = new List<BudgetThresholdReached>();
        if (budget.MonthlyLimit is not { } limit || usage.PercentUsed is not { } percent)
        {
            return crossed;
        }

        foreach (var threshold in new[] { BudgetUsage.WarningPercent, 100 })
        {
            if (percent >= threshold && !budget.WasNotified(usage.Month, threshold))
            {
                crossed.Add(new BudgetThresholdReached(budget.UserId, usage.Month, threshold, usage.Used, limit, budget.HardLimit, now));
            }
        }

        return crossed;
    }
}

/// <summary>
/// Notifies 80% and 100% of the monthly budget once each per month (the events are the notification
/// inbox's source), and with a hard limit, once it is reached, cancels (or pauses) the running jobs and cancels
/// the jobs that have not started, so none starts spending.
/// </summary>
public static class CheckBudgetHandler
{
    public const string HardLimitReason = "Cancelled: the monthly budget's hard limit was reached.";

    /// <summary>Spending is read before the budget's stream is locked: the check only needs to be current to the second.</summary>
    public static async Task<BudgetUsage?> LoadAsync(CheckBudget command, Budget? budget, IQuerySession session, ITrainingJobs jobs, TimeProvider clock, CancellationToken ct) =>
        budget is { MonthlyLimit: not null } ? await BudgetUsage.ComputeAsync(session, budget, jobs, command.UserId, clock.GetUtcNow(), ct) : null;

    public const string HardLimitQueuedReason = "Cancelled before it started: the monthly budget's hard limit was reached.";

    public const string HardLimitPauseReason = "Paused: the monthly budget's hard limit was reached.";

    public static async Task<(Events, OutgoingMessages)> Handle(
        CheckBudget command, [WriteAggregate(nameof(CheckBudget.BudgetId), Required = false)] Budget? budget, BudgetUsage? usage,
        ITrainingJobs jobs, IOptions<HardLimitOptions> hardLimit, TimeProvider clock, CancellationToken ct)
    {
        if (budget is null || usage is null)
        {
            return ([], []);
        }

        var events = new Events();
        events.AddRange(BudgetRules.Crossed(budget, usage, clock.GetUtcNow()));
        var messages = new OutgoingMessages();
        if (budget.HardLimit && usage.Status == BudgetStatus.Exceeded)
        {
            foreach (var job in await jobs.AccruingCostsAsync(command.UserId, ct))
            {
                // a paused job is left paused by a pause and cancelled by a cancel: either way it spends no more
                messages.Add(hardLimit.Value.OnHardLimit == HardLimitAction.Pause
                    ? new PauseTrainingJob(job.JobId, HardLimitPauseReason)
                    : new CancelTrainingJob(job.JobId, HardLimitReason, JobCancelCause.BudgetHardLimit));
            }

            // jobs still waiting would start spending the moment they start: they end before they do
            foreach (var waiting in await jobs.NotStartedAsync(command.UserId, ct))
            {
                messages.Add(new CancelTrainingJob(waiting, HardLimitQueuedReason, JobCancelCause.BudgetHardLimit));
            }
        }

        return (events, messages);
    }
}

public sealed class BudgetOptions
{
    public const string Section = "Billing";

    /// <summary>How often every budget is compared with its running jobs' accruing cost.</summary>
    public TimeSpan BudgetCheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>What the hard limit does to running jobs once reached (section <c>Budget</c>, <c>OnHardLimit</c>).</summary>
public enum HardLimitAction
{
    /// <summary>They end, billed for what they used.</summary>
    Cancel,

    /// <summary>They pause at a checkpoint and can be resumed once the budget allows (next month, or a higher limit).</summary>
    Pause,
}

public sealed class HardLimitOptions
{
    public const string Section = "Budget";

    public HardLimitAction OnHardLimit { get; set; } = HardLimitAction.Cancel;
}

/// <summary>
/// Asks for a <see cref="CheckBudget"/> for every user with a budget, at the configured interval.
/// On several nodes each one does it; the check is idempotent (a threshold is notified once, a
/// cancelled job cannot be cancelled again).
/// </summary>
internal sealed class BudgetWatch(IDocumentStore store, IServiceScopeFactory scopes, IOptions<BudgetOptions> options, ILogger<BudgetWatch> logger)
    : PeriodicWatch(options.Value.BudgetCheckInterval, logger)
{
    protected override string LooksFor => "budgets to check";

    protected override async Task RunRoundAsync(CancellationToken ct)
    {
        await using var session = store.QuerySession();
        using var scope = scopes.CreateScope();
        var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
        var budgeted = await session.Query<Budget>()
            .Where(b => b.AnyTenant() && b.MonthlyLimit != null)
            .Select(b => b.UserId)
            .ToListAsync(ct);
        foreach (var userId in budgeted)
        {
            await bus.SendAsync(new CheckBudget(userId), new DeliveryOptions { TenantId = Caller.TenantOf(userId) });
        }
    }
}
