using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;

namespace LoraPipeline.Training.Execution;

/// <summary>What a report means: the events to append, the messages to send, and whether the chain of polls goes on.</summary>
internal sealed record ReportDecision(List<object> Events, List<object> Messages, bool PollAgain)
{
    public bool Ends => Events.Any(ClusterReports.IsTerminal);
}

/// <summary>The limits a report is decided under (from <see cref="GpuClusterOptions"/>).</summary>
internal sealed record ReportRules(int MaxRecoveries, TimeSpan StatusUnreadableFor)
{
    public static ReportRules From(GpuClusterOptions options) => new(options.MaxRecoveries, options.StatusUnreadableFor);
}

/// <summary>
/// What a cluster report (a poll's answer or a callback) means for a job, as events and messages. Pure: the
/// same job and report always give the same decision, and points already recorded (by step) are never recorded
/// twice, whichever path reported them first; the one exception is an epoch's last point, recorded again once
/// the cluster adds its validation loss. Points of steps a restarted attempt runs again keep their first report.
/// A push that changes nothing visible records nothing; a poll always records itself (it links the chain of polls).
/// <list type="bullet">
/// <item><c>recovering</c> (preempted, node lost): recorded once; the cluster is asked to resume from its latest
/// checkpoint, up to <see cref="ReportRules.MaxRecoveries"/> times; past that the job fails with the reason and the
/// cluster is told to cancel it;</item>
/// <item>a higher <c>attempt</c> while recovering or resuming: the job runs again;</item>
/// <item><c>paused</c> while we think it runs: paused on the cluster's side, recorded as such.</item>
/// </list>
/// </summary>
internal static class ClusterReports
{
    /// <summary>
    /// The cluster's history holds points after this step. An epoch's last point is recorded before its
    /// validation finishes: until it carries a validation loss, ask for that step again.
    /// </summary>
    public static int SinceStep(TrainingJob job) => job.LastMetricValidated ? job.LastMetricStep : Math.Max(0, job.LastMetricStep - 1);

    public static ReportDecision Decide(TrainingJob job, ClusterJobStatus status, DateTimeOffset now, int? pollNumber, ReportRules rules)
    {
        var events = new List<object>();
        var messages = new List<object>();
        var usage = Usage(status, now);

        if (NewPoints(job, status) is { Count: > 0 } points)
        {
            events.Add(new TrainingMetricsRecorded(job.Id, points));
        }

        foreach (var checkpoint in (status.Checkpoints ?? []).Where(c => job.Checkpoints.All(k => k.Step != c.Step)).OrderBy(c => c.Step))
        {
            events.Add(new TrainingCheckpointRecorded(
                job.Id, checkpoint.Step, checkpoint.Epoch, checkpoint.CreatedAt, checkpoint.TrainingLoss, checkpoint.ValidationLoss,
                status.Attempt ?? job.Attempt, checkpoint.Files ?? []));
        }

        if (IsStale(job, status))
        {
            // an older report (a push overtaken by a poll, an attempt that has since ended): its points and checkpoints
            // are still news, its status is not; a poll links the chain with what the job already shows
            if (pollNumber is not null)
            {
                events.Add(new TrainingProgressRecorded(
                    job.Id, job.CurrentStage, job.Progress, job.CurrentEpoch, job.CurrentStep, job.CurrentCost, pollNumber, now, job.ReportedUsage));
            }

            return new ReportDecision(events, messages, PollAgain: true);
        }

        if (Restarted(job, status, now, rules, usage, events, messages) is { } stopped)
        {
            return stopped;
        }

        switch (status.Status)
        {
            case "completed":
                events.Add(JobEndings.Completed(job, EndTime(job, status.CompletedAt, now), usage));
                return new ReportDecision(events, messages, PollAgain: false);
            case "failed":
                events.Add(JobEndings.Failed(job, $"The GPU cluster reported a failure: {ClusterText.ForUser(status.ErrorMessage)}", now, usage));
                return new ReportDecision(events, messages, PollAgain: false);
            case "cancelled":
                events.Add(JobEndings.Failed(job, "The GPU cluster cancelled the job without our request.", now, usage));
                return new ReportDecision(events, messages, PollAgain: false);
            case "recovering" when job.Status is JobStatus.Running && job.CurrentStage != "resuming":
                var recoveries = job.RecoveryCount + 1;
                var checkpointStep = status.Checkpoints is { Count: > 0 } kept ? kept.Max(c => c.Step) : job.Checkpoints.LastOrDefault()?.Step;
                var reason = Preemption(status);
                events.Add(new TrainingJobPreempted(job.Id, status.Attempt ?? job.Attempt, recoveries, checkpointStep, reason, now));
                if (recoveries > rules.MaxRecoveries)
                {
                    events.Add(JobEndings.Failed(job,
                        $"The GPU cluster stopped the job {recoveries} times ({reason}); it is not restarted more than {rules.MaxRecoveries} times (GpuCluster:MaxRecoveries).",
                        now, usage));
                    ClusterCancels.Add(events, messages, job.Id, status.ExternalJobId, now);
                    return new ReportDecision(events, messages, PollAgain: false);
                }

                messages.Add(new ResumeOnCluster(job.Id, status.ExternalJobId, recoveries));
                break;
            case "paused" when job.Status is JobStatus.Running && job.CurrentStage != "resuming":
                // paused on the cluster's side (an operator, a pause of ours that raced a resume): say so
                events.Add(new TrainingJobPaused(job.Id, status.Attempt ?? job.Attempt, status.CurrentStep, JobCost.At(job, now, usage).Total,
                    "Paused on the GPU cluster.", now));
                break;
            default:
                break;
        }

        var progress = new TrainingProgressRecorded(
            job.Id, StageShown(job, status, events), Math.Clamp(status.Progress, 0m, 100m), status.CurrentEpoch, status.CurrentStep,
            JobCost.At(job, now, usage).Total, pollNumber, now, usage);
        if (pollNumber is not null || events.Count > 0 || ChangesSomething(job, progress))
        {
            events.Add(progress);
        }

        return new ReportDecision(events, messages, PollAgain: true);
    }

    /// <summary>The result of poll <paramref name="pollNumber"/>.</summary>
    public static ReportDecision DecidePoll(TrainingJob job, int pollNumber, ClusterCall<ClusterJobStatus> result, DateTimeOffset now, ReportRules rules)
    {
        switch (result)
        {
            case ClusterCall<ClusterJobStatus>.Answered answered:
                return Decide(job, answered.Value, now, pollNumber, rules);

            case ClusterCall<ClusterJobStatus>.NotFound:
                return new ReportDecision([JobEndings.Failed(job, $"The GPU cluster lost the job: it no longer knows '{job.ExternalJobId}'.", now)], [], false);

            default:
                var reason = result switch
                {
                    ClusterCall<ClusterJobStatus>.Transient t => t.Reason,
                    ClusterCall<ClusterJobStatus>.Refused r => r.Reason,
                    _ => "unknown error",
                };
                var failures = job.ConsecutiveStatusFailures + 1;
                List<object> failed = [new ClusterStatusCheckFailed(job.Id, pollNumber, failures, reason, now)];
                var unreadableSince = job.LastStatusReadAt ?? job.StartedAt ?? now;
                if (now - unreadableSince < rules.StatusUnreadableFor)
                {
                    return new ReportDecision(failed, [], true);
                }

                // we gave up reading its status, not the cluster its work: it may still be training, and billing
                failed.Add(JobEndings.Failed(job,
                    $"The GPU cluster's status could not be read for {Minutes(now - unreadableSince)} ({failures} attempts in a row; last: {reason}).", now));
                var cancel = new List<object>();
                ClusterCancels.Add(failed, cancel, job.Id, job.ExternalJobId!, now);
                return new ReportDecision(failed, cancel, false);
        }
    }

    /// <summary>
    /// A higher attempt than the job's, after a pause or a preemption: the job ran again (it may even have ended since).
    /// A cluster that restarts by itself (Slurm's requeue) may be running again before we saw it recovering: its
    /// recovery is recorded too, and past the limit the job is stopped (the returned decision).
    /// </summary>
    private static ReportDecision? Restarted(
        TrainingJob job, ClusterJobStatus status, DateTimeOffset now, ReportRules rules, ReportedUsage? usage, List<object> events, List<object> messages)
    {
        if (status.Attempt is not { } attempt || attempt <= job.Attempt || job.Status is not (JobStatus.Running or JobStatus.Recovering)
            || status.Status is "recovering" or "paused")
        {
            return null;
        }

        var missedRecovery = job.Status is JobStatus.Running && (status.RecoveryCount ?? 0) > job.RecoveryCount;
        if (missedRecovery)
        {
            var count = status.RecoveryCount!.Value;
            events.Add(new TrainingJobPreempted(job.Id, attempt - 1, count, job.Checkpoints.LastOrDefault()?.Step, Preemption(status), now));
            if (count > rules.MaxRecoveries)
            {
                events.Add(JobEndings.Failed(job,
                    $"The GPU cluster stopped the job {count} times; it is not restarted more than {rules.MaxRecoveries} times (GpuCluster:MaxRecoveries).",
                    now, usage));
                ClusterCancels.Add(events, messages, job.Id, status.ExternalJobId, now);
                return new ReportDecision(events, messages, PollAgain: false);
            }
        }

        var run = status.Attempts?.FirstOrDefault(a => a.Attempt == attempt);
        events.Add(new TrainingJobResumed(job.Id, attempt, run?.FromStep ?? 0, job.Status is JobStatus.Recovering || missedRecovery, now));
        return null;
    }

    /// <summary>
    /// A report older than what the job shows: of an earlier attempt, or of this attempt at an earlier step (by step alone
    /// from a cluster that reports no attempts). An ending is never stale: a job ends once, whatever it reported before.
    /// </summary>
    private static bool IsStale(TrainingJob job, ClusterJobStatus status) =>
        status.Status is not ("completed" or "failed" or "cancelled")
        && (status.Attempt is { } attempt
            ? attempt < job.Attempt || (attempt == job.Attempt && status.CurrentStep < job.AttemptStep)
            : status.CurrentStep < job.CurrentStep);

    public static bool IsTerminal(object e) => e is TrainingJobCompleted or TrainingJobFailed or TrainingJobCancelled;

    /// <summary>The cluster's own GPU accounting of a report, or null from a cluster that keeps none (v1).</summary>
    public static ReportedUsage? Usage(ClusterJobStatus status, DateTimeOffset now)
    {
        if (status.GpuSeconds is null && status.Attempts is null)
        {
            return null;
        }

        var attempts = (status.Attempts ?? [])
            .Select(a => new ClusterAttemptUsage(a.Attempt, a.StartedAt, a.EndedAt, Math.Max(0m, a.GpuSeconds), a.Outcome ?? "running", a.FromStep))
            .OrderBy(a => a.Attempt)
            .ToList();
        var gpuSeconds = status.GpuSeconds ?? attempts.Sum(a => a.GpuSeconds);
        return new ReportedUsage(status.Attempt ?? attempts.LastOrDefault()?.Attempt ?? 1, status.RecoveryCount ?? 0, Math.Max(0m, gpuSeconds), attempts, now);
    }

    private static List<MetricPoint> NewPoints(TrainingJob job, ClusterJobStatus status) =>
        // The current point carries the latest validation loss the cluster knows, which during an epoch's
        // validation is the previous epoch's: recorded at the current step it would stand for the wrong
        // epoch and stop the real one from being asked for. Only history points carry validation losses,
        // and a history point wins over the current one of the same step.
        (status.Metrics is { } current ? [current with { ValidationLoss = null }] : Array.Empty<ClusterMetricPoint>())
            .Concat(status.MetricsHistory ?? [])
            .Where(p => p.Step > job.LastMetricStep
                        || (p.Step == job.LastMetricStep && !job.LastMetricValidated && p.ValidationLoss is not null))
            .GroupBy(p => p.Step)
            .Select(g => g.Last().ToMetricPoint())
            .OrderBy(p => p.Step)
            .ToList();

    /// <summary>A job paused or recovering here shows so until the cluster runs it again, whatever stage the cluster names.</summary>
    private static string StageShown(TrainingJob job, ClusterJobStatus status, List<object> decided) =>
        job.CurrentStage == "resuming" && status.Status is "paused" or "recovering" ? "resuming"
        : decided.OfType<TrainingJobPaused>().Any() || (job.Status is JobStatus.Paused && !decided.OfType<TrainingJobResumed>().Any()) ? "paused"
        : decided.OfType<TrainingJobPreempted>().Any() || (job.Status is JobStatus.Recovering && !decided.OfType<TrainingJobResumed>().Any()) ? "recovering"
        : status.Stage ?? status.Status;

    private static string Preemption(ClusterJobStatus status) =>
        status.Attempts?.LastOrDefault()?.Outcome switch
        {
            "node_lost" => "its node was lost",
            _ => "it was preempted",
        };

    private static bool ChangesSomething(TrainingJob job, TrainingProgressRecorded progress) =>
        progress.Stage != job.CurrentStage || progress.Progress > job.Progress || progress.CurrentStep > job.CurrentStep
        || progress.CurrentEpoch > job.CurrentEpoch || progress.CurrentCost > job.CurrentCost
        || (progress.Usage is { } usage && (job.ReportedUsage is null || usage.GpuSeconds != job.ReportedUsage.GpuSeconds));

    private static string Minutes(TimeSpan span) =>
        span.TotalMinutes >= 1 ? $"{Math.Round(span.TotalMinutes, 1)} minutes" : $"{Math.Round(span.TotalSeconds)} seconds";

    /// <summary>The cluster's completion time, kept between the start and now.</summary>
    private static DateTimeOffset EndTime(TrainingJob job, DateTimeOffset? reported, DateTimeOffset now)
    {
        if (reported is not { } end || end > now)
        {
            return now;
        }

        return job.StartedAt is { } started && end < started ? started : end;
    }
}
