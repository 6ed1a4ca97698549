using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;

namespace LoraPipeline.Training.Execution;

/// <summary>
/// What a cluster report (a poll's answer or a callback) means for a job, as events. Pure: the
/// same job and report always give the same events, and points already recorded (by step) are
/// never recorded twice, whichever path reported them first; the one exception is an epoch's last
/// point, recorded again once the cluster adds its validation loss. A push that changes nothing
/// visible records nothing; a poll always records itself (it links the chain of polls).
/// </summary>
internal static class ClusterReports
{
    /// <summary>
    /// The cluster's history holds points after this step. An epoch's last point is recorded before its
    /// validation finishes: until it carries a validation loss, ask for that step again.
    /// </summary>
    public static int SinceStep(TrainingJob job) => job.LastMetricValidated ? job.LastMetricStep : Math.Max(0, job.LastMetricStep - 1);

    public static List<object> Decide(TrainingJob job, ClusterJobStatus status, DateTimeOffset now, int? pollNumber)
    {
        var events = new List<object>();
        // The current point carries the latest validation loss the cluster knows, which during an epoch's
        // validation is the previous epoch's: recorded at the current step it would stand for the wrong
        // epoch and stop the real one from being asked for. Only history points carry validation losses,
        // and a history point wins over the current one of the same step.
        var points = (status.Metrics is { } current ? [current with { ValidationLoss = null }] : Array.Empty<ClusterMetricPoint>())
            .Concat(status.MetricsHistory ?? [])
            .Where(p => p.Step > job.LastMetricStep
                        || (p.Step == job.LastMetricStep && !job.LastMetricValidated && p.ValidationLoss is not null))
            .GroupBy(p => p.Step)
            .Select(g => g.Last().ToMetricPoint())
            .OrderBy(p => p.Step)
            .ToList();
        if (points.Count > 0)
        {
            events.Add(new TrainingMetricsRecorded(job.Id, points));
        }

        switch (status.Status)
        {
            case "completed":
                events.Add(JobEndings.Completed(job, EndTime(job, status.CompletedAt, now)));
                break;
            case "failed":
                events.Add(JobEndings.Failed(job, $"The GPU cluster reported a failure: {status.ErrorMessage ?? "no reason given"}", now));
                break;
            case "cancelled":
                events.Add(JobEndings.Failed(job, "The GPU cluster cancelled the job without our request.", now));
                break;
            default:
                var progress = new TrainingProgressRecorded(
                    job.Id, status.Stage ?? status.Status, Math.Clamp(status.Progress, 0m, 100m), status.CurrentEpoch, status.CurrentStep,
                    job.CostAt(now), pollNumber, now);
                if (pollNumber is not null || ChangesSomething(job, progress))
                {
                    events.Add(progress);
                }

                break;
        }

        return events;
    }

    /// <summary>The result of poll <paramref name="pollNumber"/>, and whether the chain of polls goes on.</summary>
    public static (List<object> Events, bool PollAgain) DecidePoll(
        TrainingJob job, int pollNumber, ClusterCall<ClusterJobStatus> result, DateTimeOffset now, int maxConsecutiveFailures)
    {
        switch (result)
        {
            case ClusterCall<ClusterJobStatus>.Answered answered:
                var events = Decide(job, answered.Value, now, pollNumber);
                return (events, !events.Any(IsTerminal));

            case ClusterCall<ClusterJobStatus>.NotFound:
                return ([JobEndings.Failed(job, $"The GPU cluster lost the job: it no longer knows '{job.ExternalJobId}'.", now)], false);

            default:
                var reason = result switch
                {
                    ClusterCall<ClusterJobStatus>.Transient t => t.Reason,
                    ClusterCall<ClusterJobStatus>.Refused r => r.Reason,
                    _ => "unknown error",
                };
                var failures = job.ConsecutiveStatusFailures + 1;
                List<object> failed = [new ClusterStatusCheckFailed(job.Id, pollNumber, failures, reason, now)];
                if (failures < maxConsecutiveFailures)
                {
                    return (failed, true);
                }

                failed.Add(JobEndings.Failed(job, $"The GPU cluster's status could not be read {failures} times in a row (last: {reason}).", now));
                return (failed, false);
        }
    }

    private static bool ChangesSomething(TrainingJob job, TrainingProgressRecorded progress) =>
        progress.Stage != job.CurrentStage || progress.Progress > job.Progress || progress.CurrentStep > job.CurrentStep
        || progress.CurrentEpoch > job.CurrentEpoch || progress.CurrentCost > job.CurrentCost;

    public static bool IsTerminal(object e) => e is TrainingJobCompleted or TrainingJobFailed or TrainingJobCancelled;

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
