using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Execution;
using LoraPipeline.Training.Jobs;
using LoraPipeline.TestKit;
using static LoraPipeline.Training.Tests.Decisions.JobHistory;

namespace LoraPipeline.Training.Tests.Decisions;

/// <summary>The cancel decision, given a job's history: what it appends, what it tells the cluster, what it answers.</summary>
public sealed class when_a_job_is_cancelled
{
    private static readonly ManualClock Clock = new(T0.AddMinutes(30));

    [Fact]
    public void a_queued_job_ends_cancelled_for_nothing_and_the_cluster_is_not_asked()
    {
        var (outcome, events, messages) = CancelTrainingJobHandler.Handle(new CancelTrainingJob(JobId, "Cancelled by the user."), Given(Queued()), Clock);

        Assert.Equal(new CancelOutcome(true, true, "cancelled"), outcome);
        var cancelled = Assert.IsType<TrainingJobCancelled>(Assert.Single(events));
        Assert.Equal(0m, cancelled.FinalCost);
        Assert.Null(cancelled.Usage);
        Assert.Equal(JobCancelCause.User, cancelled.Cause);
        Assert.Empty(messages);
    }

    [Fact]
    public void a_running_job_bills_its_gpu_time_to_the_cent_and_the_cluster_is_told_to_stop()
    {
        var job = Given(Queued(), new TrainingJobSubmitted(JobId, "sim-7", T0), Started(T0.AddMinutes(10)));

        var (_, events, messages) = CancelTrainingJobHandler.Handle(
            new CancelTrainingJob(JobId, CheckBudgetReason, JobCancelCause.BudgetHardLimit), job, Clock);

        Assert.Equal(2, events.Count);
        var cancelled = Assert.IsType<TrainingJobCancelled>(events[0]);
        Assert.Equal(2.33m, cancelled.FinalCost); // $7.00/h for 20 minutes
        Assert.Equal(TimeSpan.FromMinutes(20), cancelled.Usage!.EndedAt - cancelled.Usage.StartedAt);
        Assert.Equal(JobCancelCause.BudgetHardLimit, cancelled.Cause);
        Assert.Equal(new CancelOnCluster(JobId, "sim-7"), Assert.Single(messages));
        // pending on the cluster side until the cluster confirms
        Assert.Equal(new ClusterCancelRequested(JobId, "sim-7", Clock.GetUtcNow()), events[1]);
    }

    [Fact]
    public void a_confirmation_ends_the_pending_cancel_and_a_late_one_for_another_cluster_job_is_ignored()
    {
        var pending = Given(Queued(), new TrainingJobSubmitted(JobId, "sim-7", T0), Started(T0.AddMinutes(10)),
            new ClusterCancelRequested(JobId, "sim-7", T0.AddMinutes(30)));

        Assert.IsType<ClusterCancelConfirmed>(Assert.Single(ConfirmClusterCancelHandler.Handle(new ConfirmClusterCancel(JobId, "sim-7"), pending, Clock)));
        Assert.Empty(ConfirmClusterCancelHandler.Handle(new ConfirmClusterCancel(JobId, "sim-6"), pending, Clock));

        var confirmed = Given(Queued(), new TrainingJobSubmitted(JobId, "sim-7", T0), Started(T0.AddMinutes(10)),
            new ClusterCancelRequested(JobId, "sim-7", T0.AddMinutes(30)), new ClusterCancelConfirmed(JobId, "sim-7", T0.AddMinutes(31)));
        Assert.Empty(ConfirmClusterCancelHandler.Handle(new ConfirmClusterCancel(JobId, "sim-7"), confirmed, Clock));
    }

    [Fact]
    public void an_ended_job_is_refused_with_its_status_and_nothing_is_appended()
    {
        var job = Given(Queued(), new TrainingJobSubmitted(JobId, "sim-7", T0), Started(T0),
            new TrainingJobCompleted(JobId, T0.AddMinutes(20), 2.33m, new GpuUsage("A100-80GB", 2, 7m, T0, T0.AddMinutes(20))));

        var (outcome, events, messages) = CancelTrainingJobHandler.Handle(new CancelTrainingJob(JobId, "Cancelled by the user."), job, Clock);

        Assert.Equal(new CancelOutcome(true, false, "completed"), outcome);
        Assert.Empty(events);
        Assert.Empty(messages);
    }

    [Fact]
    public void an_unknown_job_is_not_found()
    {
        var (outcome, events, _) = CancelTrainingJobHandler.Handle(new CancelTrainingJob(JobId, "Cancelled by the user."), null, Clock);

        Assert.False(outcome.Found);
        Assert.Empty(events);
    }

    private const string CheckBudgetReason = "Cancelled: the monthly budget's hard limit was reached.";
}
