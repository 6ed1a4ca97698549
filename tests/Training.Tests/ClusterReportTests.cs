using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Execution;
using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;

namespace LoraPipeline.Training.Tests;

/// <summary>
/// An epoch's last point is reported before its validation finishes. A poll in that window once
/// recorded it with the previous epoch's validation loss (the cluster's "latest known") and moved the
/// cursor past it, so the epoch's own loss, and at the last epoch the model's final one, was lost.
/// </summary>
public sealed class ClusterReportTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly ReportRules Rules = new(MaxRecoveries: 3, StatusUnreadableFor: TimeSpan.FromMinutes(15));

    private static ClusterMetricPoint Point(int step, int epoch, double? validation = null) =>
        new(step, epoch, 1.0, validation, 0.0001, null, null, null, Now);

    private static ClusterJobStatus Running(int step, ClusterMetricPoint current, params ClusterMetricPoint[] history) =>
        new("sim-1", "running", "training", 50m, current.Epoch, 3, step, 15, Now, null, null, current, history);

    [Fact]
    public void an_epoch_end_polled_during_its_validation_gets_its_own_validation_loss_on_the_next_poll()
    {
        var job = new TrainingJob { Id = Guid.NewGuid(), Status = JobStatus.Running, StartedAt = Now, GpuConfig = new GpuConfig("A100-80GB", 1, 80, 3.5m) };
        var projection = new TrainingJobProjection();
        void Record(ReportDecision decision)
        {
            foreach (var recorded in decision.Events.OfType<TrainingMetricsRecorded>())
            {
                projection.Apply(recorded, job);
            }
        }

        // epoch 2 ends at step 10 and is being validated: the history stops at 9, the current point
        // carries epoch 1's validation loss (1.5)
        var first = ClusterReports.Decide(job, Running(10, Point(10, 2, validation: 1.5), Point(9, 2)), Now, pollNumber: 1, Rules);
        Assert.Equal([(9, (double?)null), (10, null)], first.Events.OfType<TrainingMetricsRecorded>().Single().Points.Select(p => (p.Step, p.ValidationLoss)));
        Record(first);
        Assert.Equal(9, ClusterReports.SinceStep(job)); // step 10 is asked for again

        // validation done: the history since step 9 now holds step 10 with epoch 2's own loss
        var next = ClusterReports.Decide(job, Running(11, Point(11, 3, validation: 1.4), Point(10, 2, validation: 1.4), Point(11, 3)), Now, pollNumber: 2, Rules);
        var points = next.Events.OfType<TrainingMetricsRecorded>().Single().Points;
        Assert.Equal([(10, (double?)1.4), (11, null)], points.Select(p => (p.Step, p.ValidationLoss)));
        Record(next);
        Assert.Equal((11, 1.4), (job.LastMetricStep, job.CurrentMetrics!.ValidationLoss));
    }
}
