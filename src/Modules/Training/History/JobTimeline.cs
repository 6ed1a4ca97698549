using System.Globalization;
using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Jobs;

namespace LoraPipeline.Training.History;

/// <summary>One event of a job's stream as the log reads it: its version, when it was recorded, and its data.</summary>
internal sealed record StreamEntry(long Version, DateTimeOffset At, object Data);

/// <summary>
/// The one rule that turns a job's events into the lines of its log, with OpenAI's levels (info, warn, error): read
/// by the native history (GET /api/jobs/{id}/events, each event's <c>level</c> and <c>message</c>), the dashboard's
/// events log and the OpenAI-compatible job events. One line per event that matters to the user and one per metric
/// point ("Epoch 2/3 · step 10/15 · loss 1.01 · $0.42 so far"); a stage the cluster moves to (validating, saving)
/// is a line too. Other bookkeeping (polls, usage) has none.
/// </summary>
internal static class JobTimeline
{
    public const string Info = "info";
    public const string Warn = "warn";
    public const string Error = "error";

    /// <summary>The lines of a job's stream, oldest first; <paramref name="events"/> starts with its queued event.</summary>
    public static IReadOnlyList<JobTimelineEntry> Describe(IReadOnlyList<StreamEntry> events)
    {
        var queued = events.Select(e => e.Data).OfType<TrainingJobQueued>().FirstOrDefault();
        var shape = new JobShape(queued?.TotalSteps ?? 0, queued?.Hyperparameters.NumEpochs ?? 0);
        var costs = CostReportedWith(events);
        var entries = new List<JobTimelineEntry>();
        var stage = "queued";
        for (var i = 0; i < events.Count; i++)
        {
            var (version, at, data) = (events[i].Version, events[i].At, events[i].Data);
            var id = version.ToString(CultureInfo.InvariantCulture);
            switch (data)
            {
                case TrainingMetricsRecorded metrics:
                    // stamped when recorded here, like every other entry, so the log reads in order
                    entries.AddRange(metrics.Points.Select(p => new JobTimelineEntry($"{id}-{p.Step}", at, Info, Point(p, shape, costs[i]), p, version)));
                    continue;
                case TrainingProgressRecorded progress:
                    if (progress.Stage != stage && StageLine(progress, shape) is { } line)
                    {
                        entries.Add(new JobTimelineEntry(id, at, Info, line, null, version));
                    }

                    stage = progress.Stage;
                    continue;
            }

            if (Line(data) is ({ } level, { } message))
            {
                entries.Add(new JobTimelineEntry(id, at, level, message, null, version));
            }
        }

        return entries;
    }

    /// <summary>A metric point's line: where the run is, its losses and what it has cost so far.</summary>
    public static string Point(MetricPoint p, JobShape shape, decimal? costSoFar)
    {
        var parts = new List<string>
        {
            Invariant($"Epoch {p.Epoch}/{shape.Epochs}"),
            Invariant($"step {p.Step}/{shape.TotalSteps}"),
            Invariant($"loss {p.TrainingLoss:0.00}"),
        };
        if (p.ValidationLoss is { } validation)
        {
            parts.Add(Invariant($"validation loss {validation:0.00}"));
        }

        if (costSoFar is { } cost)
        {
            parts.Add(Invariant($"${cost:0.00} so far"));
        }

        return string.Join(" · ", parts);
    }

    private static string? StageLine(TrainingProgressRecorded progress, JobShape shape) => progress.Stage switch
    {
        "validating" => Invariant($"Epoch {progress.CurrentEpoch}/{shape.Epochs} trained · computing the validation loss"),
        "saving" => "Training finished · saving the adapter",
        _ => null,
    };

    /// <summary>The level and sentence of an event that is not a metric or progress report, or nulls for bookkeeping.</summary>
    public static (string? Level, string? Message) Line(object data) => data switch
    {
        TrainingJobQueued q => (Info, $"Created fine-tuning job of {q.Hyperparameters.BaseModel} on dataset '{q.DatasetName}'"),
        TrainingJobInitializing => (Info, "Preparing the job for the GPU cluster"),
        TrainingJobSubmitted => (Info, "Submitted to the GPU cluster"),
        TrainingJobSubmissionFailed f => (f.RetryAt is null ? Error : Warn, $"Submission attempt {f.Attempt} failed: {f.Error}"),
        TrainingJobStarted s => (Info, Invariant($"Fine-tuning job started on {s.NumGpus} x {s.GpuType} at ${s.HourlyRate:0.00}/h")),
        TrainingCheckpointRecorded c => (Info, Invariant($"Checkpoint saved at step {c.Step} (epoch {c.Epoch})")),
        TrainingJobPaused p => (Info, Invariant($"Job paused at step {p.Step}: {p.Reason} · ${p.CostSoFar:0.00} so far")),
        TrainingJobResumeRequested => (Info, "Resume requested"),
        TrainingJobResumed r => (Info, r.AfterPreemption ? $"Job recovered from step {r.FromStep} (attempt {r.Attempt})" : $"Job resumed from step {r.FromStep} (attempt {r.Attempt})"),
        TrainingJobPreempted p => (Warn, $"The GPU cluster preempted the job: {p.Reason}"),
        ClusterStatusCheckFailed f => (Warn, $"Could not read the job's status from the GPU cluster: {f.Error}"),
        TrainingJobCompleted c => (Info, Invariant($"The job has successfully completed (cost ${c.FinalCost:0.00})")),
        TrainingJobFailed f => (Error, Invariant($"The job failed: {f.Reason} (cost ${f.FinalCost:0.00})")),
        TrainingJobCancelled c => (Info, Invariant($"The job was cancelled: {c.Reason} (cost ${c.FinalCost:0.00})")),
        ArtifactLinked => (Info, "New fine-tuned model created"),
        _ => (null, null),
    };

    /// <summary>
    /// For each event, the cost so far the cluster's report carried: a poll appends its metric points before its progress
    /// event, so the cost is the next progress event's (or the last one's when none follows yet).
    /// </summary>
    private static decimal?[] CostReportedWith(IReadOnlyList<StreamEntry> events)
    {
        var costs = new decimal?[events.Count];
        decimal? next = null;
        for (var i = events.Count - 1; i >= 0; i--)
        {
            if (events[i].Data is TrainingProgressRecorded progress)
            {
                next = progress.CurrentCost;
            }

            costs[i] = next;
        }

        decimal? last = null;
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].Data is TrainingProgressRecorded progress)
            {
                last = progress.CurrentCost;
            }

            costs[i] ??= last;
        }

        return costs;
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}

/// <summary>The size of a run as its log names it: steps and epochs in all.</summary>
internal sealed record JobShape(int TotalSteps, int Epochs);
