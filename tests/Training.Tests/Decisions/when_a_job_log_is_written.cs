using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.History;
using LoraPipeline.Training.Jobs;
using static LoraPipeline.Training.Tests.Decisions.JobHistory;

namespace LoraPipeline.Training.Tests.Decisions;

/// <summary>The one rule for a job's log lines and their levels (<see cref="JobTimeline"/>), read by the native and the /v1 events.</summary>
public sealed class when_a_job_log_is_written
{
    private static MetricPoint Point(int step, int epoch, double loss, double? validation = null) =>
        new(step, epoch, loss, validation, 0.00005, 0.8, 3600, 91, T0.AddMinutes(12).AddSeconds(step));

    private static TrainingProgressRecorded Progress(string stage, int epoch, int step, decimal cost, int poll) =>
        new(JobId, stage, 0m, epoch, step, cost, poll, T0.AddMinutes(12).AddSeconds(step), null);

    private static IReadOnlyList<JobTimelineEntry> Log(params object[] events) =>
        JobTimeline.Describe(events.Select((e, i) => new StreamEntry(i + 1, T0.AddSeconds(i), e)).ToList());

    [Fact]
    public void a_metric_point_reads_as_epoch_step_loss_and_the_cost_its_report_carried()
    {
        var log = Log(
            Queued(), Started(T0.AddMinutes(1)),
            new TrainingMetricsRecorded(JobId, [Point(9, 1, 1.0449), Point(10, 1, 1.0123)]),
            Progress("training", 1, 10, 0.42m, 1),
            new TrainingMetricsRecorded(JobId, [Point(45, 1, 0.9312, validation: 0.9876)]),
            Progress("training", 2, 46, 0.97m, 2));

        var lines = log.Where(e => e.Metrics is not null).ToList();
        Assert.Equal(
            [
                "Epoch 1/3 · step 9/135 · loss 1.04 · $0.42 so far",
                "Epoch 1/3 · step 10/135 · loss 1.01 · $0.42 so far",
                "Epoch 1/3 · step 45/135 · loss 0.93 · validation loss 0.99 · $0.97 so far",
            ],
            lines.Select(e => e.Message));
        Assert.All(lines, e => Assert.Equal("info", e.Level));
        Assert.Equal([3L, 3L, 5L], lines.Select(e => e.Version));
        Assert.Equal(["3-9", "3-10", "5-45"], lines.Select(e => e.Id));
    }

    [Fact]
    public void polls_say_nothing_but_a_stage_the_cluster_moves_to()
    {
        var log = Log(
            Queued(), Started(T0.AddMinutes(1)),
            Progress("training", 1, 10, 0.42m, 1),
            Progress("training", 1, 20, 0.52m, 2),
            Progress("validating", 1, 45, 0.90m, 3),
            Progress("validating", 1, 45, 0.95m, 4),
            Progress("training", 2, 50, 1.00m, 5),
            Progress("saving", 3, 135, 2.50m, 6));

        Assert.Equal(
            [
                "Created fine-tuning job of mistralai/Mistral-7B-v0.1 on dataset 'Support chats'",
                "Fine-tuning job started on 2 x A100-80GB at $7.00/h",
                "Epoch 1/3 trained · computing the validation loss",
                "Training finished · saving the adapter",
            ],
            log.Select(e => e.Message));
    }

    [Fact]
    public void trouble_is_a_warning_and_an_end_that_produces_nothing_an_error()
    {
        var usage = new GpuUsage("A100-80GB", 2, 7m, T0, T0.AddMinutes(20));
        (object Event, string Level, string Message)[] cases =
        [
            (new TrainingJobSubmissionFailed(JobId, 1, "HTTP 503", T0.AddMinutes(1), T0), "warn", "Submission attempt 1 failed: HTTP 503"),
            (new TrainingJobSubmissionFailed(JobId, 5, "HTTP 503", null, T0), "error", "Submission attempt 5 failed: HTTP 503"),
            (new ClusterStatusCheckFailed(JobId, 7, 2, "timed out", T0), "warn", "Could not read the job's status from the GPU cluster: timed out"),
            (new TrainingJobPreempted(JobId, 1, 1, 40, "it was preempted", T0), "warn", "The GPU cluster preempted the job: it was preempted"),
            (new TrainingJobFailed(JobId, "CUDA out of memory", T0, 1.2m, usage), "error", "The job failed: CUDA out of memory (cost $1.20)"),
            (new TrainingJobCancelled(JobId, "Cancelled by the user.", T0, 0.8m, usage), "info", "The job was cancelled: Cancelled by the user. (cost $0.80)"),
            (new TrainingJobCompleted(JobId, T0, 2.33m, usage), "info", "The job has successfully completed (cost $2.33)"),
            (new TrainingCheckpointRecorded(JobId, 45, 1, T0, 0.93, 0.98, 1, []), "info", "Checkpoint saved at step 45 (epoch 1)"),
        ];

        foreach (var (e, level, message) in cases)
        {
            var line = Log(Queued(), e).Last();
            Assert.Equal((level, message), (line.Level, line.Message));
        }
    }
}
