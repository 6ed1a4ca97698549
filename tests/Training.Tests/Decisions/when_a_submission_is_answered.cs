using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Execution;
using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;
using static LoraPipeline.Training.Tests.Decisions.JobHistory;

namespace LoraPipeline.Training.Tests.Decisions;

/// <summary>What a submission attempt's answer makes of a job waiting for the cluster.</summary>
public sealed class when_a_submission_is_answered
{
    private static readonly DateTimeOffset Now = T0.AddMinutes(1);
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(2);

    private static TrainingJob Waiting(int failedAttempts = 0)
    {
        var history = new List<object> { Queued(), new TrainingJobInitializing(JobId, T0) };
        for (var attempt = 1; attempt <= failedAttempts; attempt++)
        {
            history.Add(new TrainingJobSubmissionFailed(JobId, attempt, "503", T0.AddSeconds(attempt), T0));
        }

        return Given([.. history]);
    }

    [Fact]
    public void an_accepted_job_is_submitted_and_starts_costing_at_its_hourly_rate()
    {
        var (events, retryAt) = SubmissionDecisions.Decide(
            Waiting(), 1, new ClusterCall<ClusterSubmitResponse>.Answered(new ClusterSubmitResponse("sim-9", "queued")), Now, 5, FirstDelay, 0.5);

        Assert.Null(retryAt);
        Assert.Equal(new TrainingJobSubmitted(JobId, "sim-9", Now), events[0]);
        var started = Assert.IsType<TrainingJobStarted>(events[1]);
        Assert.Equal(7.00m, started.HourlyRate);
        Assert.Equal(Now.AddHours(0.5), started.EstimatedCompletionAt);
    }

    [Fact]
    public void a_refusal_fails_the_job_at_once_with_the_clusters_reason()
    {
        var (events, retryAt) = SubmissionDecisions.Decide(
            Waiting(), 1, new ClusterCall<ClusterSubmitResponse>.Refused(400, "400: unknown base model"), Now, 5, FirstDelay, 0.5);

        Assert.Null(retryAt);
        var failed = Assert.IsType<TrainingJobFailed>(Assert.Single(events));
        Assert.Contains("unknown base model", failed.Reason);
        Assert.Equal(0m, failed.FinalCost);
    }

    [Fact]
    public void a_transient_fault_is_retried_later_with_a_doubling_delay()
    {
        var (events, retryAt) = SubmissionDecisions.Decide(
            Waiting(failedAttempts: 2), 3, new ClusterCall<ClusterSubmitResponse>.Transient("503"), Now, 5, FirstDelay, 0.5);

        Assert.Equal(Now + TimeSpan.FromSeconds(8), retryAt); // 2 s doubled twice, jitter 1.0
        Assert.Equal(new TrainingJobSubmissionFailed(JobId, 3, "503", retryAt, Now), Assert.Single(events));
    }

    [Fact]
    public void the_last_attempt_fails_the_job_with_the_count_and_the_last_reason()
    {
        var (events, retryAt) = SubmissionDecisions.Decide(
            Waiting(failedAttempts: 4), 5, new ClusterCall<ClusterSubmitResponse>.Transient("timed out"), Now, 5, FirstDelay, 0.5);

        Assert.Null(retryAt);
        Assert.Equal("Could not submit the job to the GPU cluster after 5 attempts (last: timed out).", Assert.IsType<TrainingJobFailed>(events[1]).Reason);
    }

    [Theory]
    [InlineData(0, 1, true)]   // the first attempt of a fresh job
    [InlineData(2, 3, true)]   // the attempt after two failures
    [InlineData(2, 2, false)]  // a redelivery of an attempt already recorded as failed
    [InlineData(0, 2, false)]  // an attempt from a chain that does not exist
    public void only_the_next_attempt_of_a_job_waiting_for_submission_runs(int failedAttempts, int attempt, bool runs) =>
        Assert.Equal(runs, SubmissionDecisions.ShouldAttempt(Waiting(failedAttempts), attempt));

    [Fact]
    public void a_submitted_job_is_never_submitted_again() =>
        Assert.False(SubmissionDecisions.ShouldAttempt(Given(Queued(), new TrainingJobSubmitted(JobId, "sim-9", T0), Started(T0)), 1));

    [Fact]
    public void the_back_off_is_capped_at_five_minutes() =>
        Assert.Equal(TimeSpan.FromMinutes(5), SubmissionDecisions.RetryDelay(20, FirstDelay, 0.99));
}
