using System.Globalization;
using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Jobs;

namespace LoraPipeline.Training.History;

/// <summary>
/// A job's events as sentences a person reads in a job log (what OpenAI's job events are): one entry per event
/// that matters to the user, one per metric point. Bookkeeping events (progress polls, usage) are left out.
/// </summary>
internal static class JobTimeline
{
    public static IEnumerable<JobTimelineEntry> Describe(long version, DateTimeOffset at, object data, int totalSteps)
    {
        var id = version.ToString(CultureInfo.InvariantCulture);
        switch (data)
        {
            case TrainingMetricsRecorded metrics:
                foreach (var p in metrics.Points)
                {
                    // stamped when recorded here, like every other entry, so the history reads in order
                    yield return new JobTimelineEntry($"{id}-{p.Step}", at, "info",
                        FormattableString.Invariant($"Step {p.Step}/{totalSteps}: training loss={p.TrainingLoss:0.0000}")
                            + (p.ValidationLoss is { } v ? FormattableString.Invariant($", validation loss={v:0.0000}") : ""), p);
                }

                yield break;
        }

        var (level, message) = data switch
        {
            TrainingJobQueued q => ("info", $"Created fine-tuning job of {q.Hyperparameters.BaseModel} on dataset '{q.DatasetName}'"),
            TrainingJobInitializing => ("info", "Preparing the job for the GPU cluster"),
            TrainingJobSubmitted => ("info", "Submitted to the GPU cluster"),
            TrainingJobSubmissionFailed f => (f.RetryAt is null ? "error" : "warn", $"Submission attempt {f.Attempt} failed: {f.Error}"),
            TrainingJobStarted s => ("info", $"Fine-tuning job started on {s.NumGpus} x {s.GpuType}"),
            TrainingCheckpointRecorded c => ("info", $"Checkpoint saved at step {c.Step}"),
            TrainingJobPaused p => ("info", $"Job paused at step {p.Step}: {p.Reason}"),
            TrainingJobResumeRequested => ("info", "Resume requested"),
            TrainingJobResumed r => ("info", r.AfterPreemption ? $"Job recovered from step {r.FromStep} (attempt {r.Attempt})" : $"Job resumed from step {r.FromStep} (attempt {r.Attempt})"),
            TrainingJobPreempted p => ("warn", $"The GPU cluster preempted the job: {p.Reason}"),
            ClusterStatusCheckFailed f => ("warn", $"Could not read the job's status from the GPU cluster: {f.Error}"),
            TrainingJobCompleted c => ("info", string.Create(CultureInfo.InvariantCulture, $"The job has successfully completed (cost ${c.FinalCost:0.00})")),
            TrainingJobFailed f => ("error", $"The job failed: {f.Reason}"),
            TrainingJobCancelled c => ("info", $"The job was cancelled: {c.Reason}"),
            ArtifactLinked => ("info", "New fine-tuned model created"),
            _ => (null, null),
        };
        if (message is not null)
        {
            yield return new JobTimelineEntry(id, at, level!, message, null);
        }
    }
}
