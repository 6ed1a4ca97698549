using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Execution;
using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;
using static LoraPipeline.Training.Tests.Decisions.JobHistory;

namespace LoraPipeline.Training.Tests.Decisions;

/// <summary>Preemption, recovery, pause and the cluster's GPU accounting, given a running job's history.</summary>
public sealed class when_the_cluster_reports_a_lifecycle
{
    private static readonly ReportRules Rules = new(MaxRecoveries: 2, StatusUnreadableFor: TimeSpan.FromMinutes(15));
    private static readonly DateTimeOffset Start = T0.AddMinutes(1);

    private static TrainingJob Running(params object[] more) =>
        Given([Queued(), new TrainingJobSubmitted(JobId, "sim-7", Start), Started(Start), .. more]);

    private static ClusterJobStatus Report(string status, int attempt, int recoveries, params ClusterAttempt[] attempts) => new(
        "sim-7", status, status, 40m, 1, 3, 20, 135, Start, null, null, null, [],
        Attempt: attempt, RecoveryCount: recoveries, GpuSeconds: attempts.Sum(a => a.GpuSeconds), Attempts: attempts,
        Checkpoints: [new ClusterCheckpoint(15, 1, Start.AddMinutes(5), 1.9, null, ["adapter_config.json", "adapter_model.safetensors"])]);

    private static ClusterAttempt Attempt(int n, decimal gpuSeconds, string outcome, int fromStep = 0, bool ended = true) =>
        new(n, Start, ended ? Start.AddMinutes(10) : null, gpuSeconds, outcome, fromStep);

    private static ReportedUsage Usage(DateTimeOffset at, params ClusterAttemptUsage[] attempts) =>
        new(attempts[^1].Attempt, attempts.Count(a => a.Outcome == "preempted"), attempts.Sum(a => a.GpuSeconds), attempts, at);

    [Fact]
    public void a_preempted_job_records_its_checkpoint_and_the_cluster_is_asked_to_resume_it()
    {
        var decision = ClusterReports.Decide(Running(), Report("recovering", 1, 0, Attempt(1, 1200m, "preempted")), Start.AddMinutes(11), 3, Rules);

        var preempted = Assert.Single(decision.Events.OfType<TrainingJobPreempted>());
        Assert.Equal((1, 1, 15), (preempted.Attempt, preempted.RecoveryCount, preempted.CheckpointStep));
        Assert.Equal(15, Assert.Single(decision.Events.OfType<TrainingCheckpointRecorded>()).Step);
        Assert.Equal(new ResumeOnCluster(JobId, "sim-7", 1), Assert.Single(decision.Messages));
        Assert.True(decision.PollAgain);
        Assert.Equal("recovering", decision.Events.OfType<TrainingProgressRecorded>().Single().Stage);
    }

    [Fact]
    public void past_the_recovery_limit_the_job_fails_with_the_reason_and_the_cluster_cancels_it()
    {
        var twice = Running(new TrainingJobPreempted(JobId, 1, 1, 15, "it was preempted", Start), new TrainingJobResumed(JobId, 2, 15, true, Start),
            new TrainingJobPreempted(JobId, 2, 2, 15, "it was preempted", Start), new TrainingJobResumed(JobId, 3, 15, true, Start));

        var decision = ClusterReports.Decide(twice, Report("recovering", 3, 2, Attempt(1, 600m, "preempted"), Attempt(2, 300m, "preempted"),
            Attempt(3, 300m, "preempted")), Start.AddMinutes(30), 9, Rules);

        var failed = Assert.Single(decision.Events.OfType<TrainingJobFailed>());
        Assert.Contains("3 times", failed.Reason);
        Assert.Contains("GpuCluster:MaxRecoveries", failed.Reason);
        Assert.Equal(1.16m, failed.FinalCost); // 600, 300 and 300 GPU-seconds at $3.50 per GPU-hour, rounded per attempt: 0.58 + 0.29 + 0.29
        Assert.IsType<CancelOnCluster>(Assert.Single(decision.Messages));
        Assert.False(decision.PollAgain);
    }

    [Fact]
    public void a_new_attempt_running_again_is_recorded_as_resumed_from_its_checkpoint()
    {
        var recovering = Running(new TrainingJobPreempted(JobId, 1, 1, 15, "it was preempted", Start));

        var decision = ClusterReports.Decide(recovering, Report("running", 2, 1, Attempt(1, 1200m, "preempted"), Attempt(2, 60m, "running", 15, ended: false)),
            Start.AddMinutes(14), 5, Rules);

        var resumed = Assert.Single(decision.Events.OfType<TrainingJobResumed>());
        Assert.Equal((2, 15, true), (resumed.Attempt, resumed.FromStep, resumed.AfterPreemption));
        Assert.Empty(decision.Messages);
    }

    [Fact]
    public void a_cluster_that_restarted_by_itself_between_polls_still_counts_the_recovery()
    {
        var decision = ClusterReports.Decide(Running(), Report("running", 2, 1, Attempt(1, 1200m, "preempted"), Attempt(2, 60m, "running", 15, ended: false)),
            Start.AddMinutes(14), 5, Rules);

        Assert.Equal(1, Assert.Single(decision.Events.OfType<TrainingJobPreempted>()).RecoveryCount);
        Assert.True(Assert.Single(decision.Events.OfType<TrainingJobResumed>()).AfterPreemption);
    }

    [Fact]
    public void the_cost_is_each_attempts_gpu_seconds_at_the_price_per_gpu_hour_rounded_per_attempt_plus_the_clock_since_the_report()
    {
        var reportedAt = Start.AddMinutes(20);
        var job = Running(new TrainingProgressRecorded(JobId, "training", 50m, 1, 20, 0m, 4, reportedAt,
            Usage(reportedAt, new ClusterAttemptUsage(1, Start, Start.AddMinutes(10), 1201m, "preempted", 0),
                new ClusterAttemptUsage(2, Start.AddMinutes(12), null, 599m, "running", 15))));

        // 1,201 s x $3.50 / 3600 = 1.1676 -> 1.17; 599 s = 0.5824 -> 0.58; then 60 s on 2 GPUs since the report: 719 s = 0.6990 -> 0.70
        Assert.Equal(1.17m + 0.58m, JobCost.At(job, reportedAt).Total);
        Assert.Equal(1.17m + 0.70m, JobCost.At(job, reportedAt.AddMinutes(1)).Total);
        var attempts = JobCost.At(job, reportedAt.AddMinutes(1)).Usage!.Attempts!;
        Assert.Equal([1201m, 719m], attempts.Select(a => a.GpuSeconds));
    }

    [Fact]
    public void a_paused_job_accrues_nothing_between_reports()
    {
        var reportedAt = Start.AddMinutes(20);
        var job = Running(
            new TrainingProgressRecorded(JobId, "training", 50m, 1, 20, 0m, 4, reportedAt,
                Usage(reportedAt, new ClusterAttemptUsage(1, Start, null, 1200m, "running", 0))),
            new TrainingJobPaused(JobId, 1, 20, 1.17m, JobPausing.ByUser, reportedAt));

        Assert.Equal(JobCost.At(job, reportedAt).Total, JobCost.At(job, reportedAt.AddHours(5)).Total);
    }

    [Fact]
    public void a_status_unreadable_for_less_than_the_period_keeps_the_job_and_past_it_fails_the_job_and_cancels_it()
    {
        var job = Running();
        var unreadable = new ClusterCall<ClusterJobStatus>.Transient("503");

        var early = ClusterReports.DecidePoll(job, 1, unreadable, Start.AddMinutes(14), Rules);
        var late = ClusterReports.DecidePoll(job, 1, unreadable, Start.AddMinutes(15), Rules);

        Assert.Equal((true, false), (early.PollAgain, early.Ends));
        Assert.Contains("could not be read for 15 minutes", Assert.Single(late.Events.OfType<TrainingJobFailed>()).Reason);
        Assert.IsType<CancelOnCluster>(Assert.Single(late.Messages));
    }

    [Fact]
    public void pause_is_refused_before_the_cluster_has_reported_its_accounting_and_to_a_job_that_is_not_running()
    {
        Assert.Contains("not reported", JobPausing.Refusal(Running()));
        Assert.Contains("'queued'", JobPausing.Refusal(Given(Queued())));
    }

    [Fact]
    public void pause_is_refused_while_the_cluster_still_queues_the_job_and_allowed_once_it_has_gpus()
    {
        var usage = Usage(Start, new ClusterAttemptUsage(1, null, null, 0m, "queued", 0));
        var waiting = Running(new TrainingProgressRecorded(JobId, "queued", 0m, 0, 0, 0m, 1, Start, usage));
        Assert.Contains("not started this job yet", JobPausing.Refusal(waiting));

        var loading = Running(new TrainingProgressRecorded(JobId, "loading_model", 0m, 0, 0, 0m, 1, Start, usage));
        Assert.Null(JobPausing.Refusal(loading));
    }
}

/// <summary>Pushes can arrive late, overtaken by a poll or by the next attempt: what they report must not move the job back.</summary>
public sealed class when_an_old_report_arrives
{
    private static readonly ReportRules Rules = new(MaxRecoveries: 3, StatusUnreadableFor: TimeSpan.FromMinutes(15));
    private static readonly DateTimeOffset Start = T0.AddMinutes(1);

    private static ClusterJobStatus Report(string status, int attempt, int step) => new(
        "sim-7", status, status == "recovering" ? "recovering" : "training", 40m, 1, 3, step, 135, Start, null, null, null, [],
        Attempt: attempt, RecoveryCount: attempt - 1, GpuSeconds: 100m, Attempts: [new ClusterAttempt(attempt, Start, null, 100m, "running", 0)]);

    private static TrainingJob RunningAgain() => Given(Queued(), new TrainingJobSubmitted(JobId, "sim-7", Start), Started(Start),
        new TrainingJobPreempted(JobId, 1, 1, 8, "it was preempted", Start), new TrainingJobResumed(JobId, 2, 8, true, Start),
        new TrainingProgressRecorded(JobId, "training", 60m, 2, 14, 1m, 3, Start.AddMinutes(5)));

    [Fact]
    public void a_push_of_an_ended_attempt_saying_recovering_is_not_a_second_preemption()
    {
        var decision = ClusterReports.Decide(RunningAgain(), Report("recovering", 1, 12), Start.AddMinutes(6), pollNumber: null, Rules);

        Assert.Empty(decision.Events.OfType<TrainingJobPreempted>());
        Assert.Empty(decision.Messages);
        Assert.Empty(decision.Events.OfType<TrainingProgressRecorded>());
    }

    [Fact]
    public void a_push_of_this_attempt_at_an_earlier_step_records_no_progress_and_a_poll_keeps_the_stage_shown()
    {
        var job = RunningAgain();

        var push = ClusterReports.Decide(job, Report("running", 2, 10), Start.AddMinutes(6), pollNumber: null, Rules);
        var poll = ClusterReports.Decide(job, Report("running", 2, 10), Start.AddMinutes(6), pollNumber: 4, Rules);

        Assert.Empty(push.Events.OfType<TrainingProgressRecorded>());
        var linked = Assert.Single(poll.Events.OfType<TrainingProgressRecorded>());
        Assert.Equal((14, "training", 4), (linked.CurrentStep, linked.Stage, linked.PollNumber));
    }

    [Fact]
    public void steps_run_again_after_a_restart_are_news_not_staleness()
    {
        // attempt 2 restarted from step 8: its step 10 is below the 14 shown, but above where this attempt began
        var job = Given(Queued(), new TrainingJobSubmitted(JobId, "sim-7", Start), Started(Start),
            new TrainingProgressRecorded(JobId, "training", 60m, 2, 14, 1m, 2, Start.AddMinutes(4)),
            new TrainingJobPreempted(JobId, 1, 1, 8, "it was preempted", Start), new TrainingJobResumed(JobId, 2, 8, true, Start));

        var decision = ClusterReports.Decide(job, Report("running", 2, 10), Start.AddMinutes(6), pollNumber: null, Rules);

        Assert.Single(decision.Events.OfType<TrainingProgressRecorded>());
    }
}
