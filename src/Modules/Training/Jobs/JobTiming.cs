using Marten;

namespace LoraPipeline.Training.Jobs;

/// <summary>
/// A job's clock on the wire: time since it started, its live pace and the time left at that pace, its estimated
/// duration and, once it ended, the actual one. Seconds; null where not known (not started, no pace yet).
/// </summary>
public sealed record JobTimingView(
    double? ElapsedSeconds,
    double? StepsPerSecond,
    double? EstimatedSecondsLeft,
    DateTimeOffset? EstimatedEndAt,
    double EstimatedDurationSeconds,
    double? ActualDurationSeconds);

/// <summary>
/// The time-left rule. The pace is steps per second over the job's latest metric points (up to <see cref="Window"/>)
/// reported by its current attempt (stamped at or after the attempt's start, as the cluster accounts for it: points
/// an earlier attempt reported are kept after a restart), timed by the cluster's own timestamps. An epoch's last
/// point is stamped when its validation ends, so a window across an epoch's end includes that validation. Time
/// left = steps left / pace, counted from the last point's time, so it keeps falling between reports; only a job
/// that is running has one, and two points a moment apart are needed. The final save after the last step is not in it.
/// </summary>
public static class JobTiming
{
    public const int Window = 20;

    public static JobTimingView For(TrainingJob job, DateTimeOffset? now, IReadOnlyList<JobMetricPoint>? recent)
    {
        var end = job.CompletedAt ?? now ?? job.UpdatedAt;
        double? elapsed = job.StartedAt is { } started ? Math.Max(0, (end - started).TotalSeconds) : null;
        double? actual = job.StartedAt is { } s && job.CompletedAt is { } c ? Math.Max(0, (c - s).TotalSeconds) : null;
        var pace = job.Status is JobStatus.Running && job.CurrentStage is not ("paused" or "recovering" or "resuming") ? Pace(recent ?? [], job.ReportedUsage?.Attempts.LastOrDefault()?.StartedAt) : null;

        double? left = null;
        DateTimeOffset? endAt = null;
        if (pace is { } p)
        {
            var stepsLeft = Math.Max(0, job.TotalSteps - Math.Max(job.CurrentStep, p.LastStep));
            endAt = p.LastAt.AddSeconds(stepsLeft / p.StepsPerSecond);
            left = Math.Max(0, Math.Round((endAt.Value - (now ?? p.LastAt)).TotalSeconds));
        }

        return new JobTimingView(
            elapsed is { } e ? Math.Round(e) : null,
            pace is { } r ? Math.Round(r.StepsPerSecond, 4) : null,
            left,
            endAt,
            (double)(job.EstimatedDurationHours * 3600m),
            actual is { } a ? Math.Round(a) : null);
    }

    /// <summary>
    /// Steps per second over the latest points (in any order) stamped at or after <paramref name="attemptStart"/>, or
    /// null without two points a moment apart.
    /// </summary>
    public static JobPace? Pace(IReadOnlyList<JobMetricPoint> points, DateTimeOffset? attemptStart = null)
    {
        var window = points.Where(p => attemptStart is not { } start || p.Timestamp >= start).OrderBy(p => p.Step).TakeLast(Window).ToList();
        if (window.Count < 2)
        {
            return null;
        }

        var (first, last) = (window[0], window[^1]);
        var seconds = (last.Timestamp - first.Timestamp).TotalSeconds;
        return seconds > 0 && last.Step > first.Step ? new JobPace((last.Step - first.Step) / seconds, last.Step, last.Timestamp) : null;
    }

    /// <summary>The points the pace is measured on: the job's latest <see cref="Window"/>.</summary>
    public static async Task<IReadOnlyList<JobMetricPoint>> RecentPointsAsync(IQuerySession session, Guid jobId, CancellationToken ct) =>
        await session.Query<JobMetricPoint>()
            .Where(p => p.JobId == jobId)
            .OrderByDescending(p => p.Step)
            .Take(Window)
            .ToListAsync(ct);
}

/// <summary>A measured pace: steps per second, as of the point at <paramref name="LastStep"/> reported at <paramref name="LastAt"/>.</summary>
public sealed record JobPace(double StepsPerSecond, int LastStep, DateTimeOffset LastAt);
