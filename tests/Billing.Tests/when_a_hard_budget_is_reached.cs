using LoraPipeline.Billing.Budgets;
using LoraPipeline.Billing.Contracts;
using LoraPipeline.TestKit;
using LoraPipeline.Training.Contracts;
using Microsoft.Extensions.Options;

namespace LoraPipeline.Billing.Tests;

/// <summary>The budget check's decision at the hard limit, given the jobs Training reports (no host, no database).</summary>
public sealed class when_a_hard_budget_is_reached
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly Guid UserId = Guid.Parse("6f1b3a84-0000-4000-8000-0000000000aa");
    private static readonly Guid Running = Guid.Parse("6f1b3a84-0000-4000-8000-000000000001");
    private static readonly Guid Waiting = Guid.Parse("6f1b3a84-0000-4000-8000-000000000002");

    [Theory]
    [InlineData(HardLimitAction.Cancel)]
    [InlineData(HardLimitAction.Pause)]
    public async Task running_jobs_are_stopped_as_configured_and_jobs_that_have_not_started_are_cancelled_before_they_spend(HardLimitAction action)
    {
        var (_, messages) = await CheckAsync(hardLimit: true, action);

        var stopped = messages.Where(m => m is PauseTrainingJob { JobId: var paused } ? paused == Running : m is CancelTrainingJob c && c.JobId == Running).ToList();
        Assert.Single(stopped);
        Assert.IsType(action == HardLimitAction.Pause ? typeof(PauseTrainingJob) : typeof(CancelTrainingJob), stopped[0]);
        var waiting = Assert.Single(messages.OfType<CancelTrainingJob>(), c => c.JobId == Waiting);
        Assert.Equal(JobCancelCause.BudgetHardLimit, waiting.Cause);
        Assert.Equal(CheckBudgetHandler.HardLimitQueuedReason, waiting.Reason);
    }

    [Fact]
    public async Task without_a_hard_limit_no_job_is_touched_and_the_threshold_is_only_notified()
    {
        var (events, messages) = await CheckAsync(hardLimit: false, HardLimitAction.Cancel);

        Assert.Empty(messages);
        Assert.Contains(events, e => e is BudgetThresholdReached { Percent: 100 });
    }

    private static async Task<(List<object> Events, List<object> Messages)> CheckAsync(bool hardLimit, HardLimitAction action)
    {
        var budget = new Budget { Id = Budget.StreamIdFor(UserId), UserId = UserId, MonthlyLimit = 10m, HardLimit = hardLimit };
        var usage = new BudgetUsage(10m, hardLimit, "2026-12", 9m, 2m, 11m, 110m, BudgetStatus.Exceeded);
        var (events, messages) = await CheckBudgetHandler.Handle(
            new CheckBudget(UserId), budget, usage, new TwoJobs(), Options.Create(new HardLimitOptions { OnHardLimit = action }),
            new ManualClock(Noon), CancellationToken.None);
        return (events.ToList(), messages.ToList());
    }

    /// <summary>Training's answers for a user with one running job and one still waiting to start.</summary>
    private sealed class TwoJobs : ITrainingJobs
    {
        public Task<IReadOnlyList<AccruingJobCost>> AccruingCostsAsync(Guid userId, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<AccruingJobCost>>([new AccruingJobCost(Running, 2m, 7m, Noon.AddMinutes(-20))]);

        public Task<IReadOnlyList<Guid>> NotStartedAsync(Guid userId, CancellationToken ct) => Task.FromResult<IReadOnlyList<Guid>>([Waiting]);

        public Task<CompletedJobReport?> FindCompletedAsync(Guid userId, Guid jobId, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyDictionary<Guid, object>> FindViewsAsync(Guid userId, IReadOnlyCollection<Guid> jobIds, CancellationToken ct) =>
            throw new NotSupportedException();
        public Task<JobCheckpointReport?> FindCheckpointAsync(Guid userId, Guid jobId, int step, CancellationToken ct) => throw new NotSupportedException();
        public Task<decimal> RemainingEstimatesAsync(Guid userId, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<CompletedJobWithoutModel>> CompletedWithoutModelAsync(DateTimeOffset completedBefore, int limit, CancellationToken ct) =>
            throw new NotSupportedException();
    }
}
