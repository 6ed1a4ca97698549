using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Jobs;
using static LoraPipeline.Training.Tests.Decisions.JobHistory;

namespace LoraPipeline.Training.Tests.Decisions;

/// <summary>The time-left rule (<see cref="JobTiming"/>) and progress by steps, on jobs built from their events.</summary>
public sealed class when_a_job_tells_its_time
{
    private static readonly DateTimeOffset StartedAt = T0.AddMinutes(1);

    private static TrainingProgressRecorded Progress(int step, DateTimeOffset at, string stage = "training", decimal progress = 1.3m, ReportedUsage? usage = null) =>
        new(JobId, stage, progress, 1, step, 0.42m, null, at, usage);

    /// <summary>Points of steps <paramref name="from"/>..<paramref name="to"/>, one every <paramref name="secondsPerStep"/> from <paramref name="firstAt"/>.</summary>
    private static List<JobMetricPoint> Points(int from, int to, DateTimeOffset firstAt, double secondsPerStep) =>
        Enumerable.Range(from, to - from + 1)
            .Select(step => new JobMetricPoint { JobId = JobId, Step = step, TrainingLoss = 1, Timestamp = firstAt.AddSeconds((step - from) * secondsPerStep) })
            .ToList();

    [Fact]
    public void time_left_is_the_steps_left_at_the_measured_pace_counted_from_the_last_point()
    {
        var last = StartedAt.AddMinutes(12);
        var job = Given(Queued(), Started(StartedAt), Progress(30, last));
        var points = Points(11, 30, last.AddSeconds(-19 * 2), secondsPerStep: 2); // 0.5 steps per second

        var timing = JobTiming.For(job, last.AddSeconds(10), points);

        Assert.Equal(0.5, timing.StepsPerSecond);
        Assert.Equal((135 - 30) / 0.5 - 10, timing.EstimatedSecondsLeft); // 200 s, ten already gone since the last point
        Assert.Equal(last.AddSeconds(210), timing.EstimatedEndAt);
        Assert.Equal(12 * 60 + 10, timing.ElapsedSeconds);
        Assert.Equal(0.5 * 3600, timing.EstimatedDurationSeconds);
        Assert.Null(timing.ActualDurationSeconds);

        // it keeps falling between reports, and stops at zero
        Assert.Equal(150, JobTiming.For(job, last.AddSeconds(60), points).EstimatedSecondsLeft);
        Assert.Equal(0, JobTiming.For(job, last.AddHours(1), points).EstimatedSecondsLeft);
    }

    [Fact]
    public void the_pace_counts_only_the_latest_points_of_the_current_attempt()
    {
        var attempt2 = StartedAt.AddMinutes(30);
        var usage = new ReportedUsage(2, 1, 100m,
            [new ClusterAttemptUsage(1, StartedAt, StartedAt.AddMinutes(20), 60m, "preempted", 0), new ClusterAttemptUsage(2, attempt2, null, 40m, "running", 10)],
            attempt2.AddMinutes(2));
        // attempt 1 reported steps 1-10 at a step a second (kept after the restart); attempt 2 runs at a step every 4 s
        var points = Points(1, 10, StartedAt.AddMinutes(10), 1).Concat(Points(11, 25, attempt2.AddMinutes(1), 4)).ToList();
        var job = Given(Queued(), Started(StartedAt), Progress(25, attempt2.AddMinutes(3), usage: usage));

        var timing = JobTiming.For(job, null, points);

        Assert.Equal(0.25, timing.StepsPerSecond); // steps 11-25: the window's steps 6-10 are attempt 1's
        Assert.Equal((135 - 25) * 4, timing.EstimatedSecondsLeft);
        // without the attempt's start (a v1 cluster) the same window would mix in the first attempt's points
        Assert.True(JobTiming.Pace(points)!.StepsPerSecond < 0.1);
    }

    [Fact]
    public void there_is_no_time_left_without_two_points_nor_while_the_job_does_not_run()
    {
        var at = StartedAt.AddMinutes(11);
        var running = Given(Queued(), Started(StartedAt), Progress(1, at));
        Assert.Null(JobTiming.For(running, at, Points(1, 1, at, 1)).EstimatedSecondsLeft);
        Assert.Null(JobTiming.For(running, at, []).StepsPerSecond);

        var paused = Given(Queued(), Started(StartedAt), Progress(20, at), new TrainingJobPaused(JobId, 1, 20, 0.3m, "Paused by the user.", at));
        var timing = JobTiming.For(paused, at.AddMinutes(5), Points(1, 20, StartedAt.AddMinutes(10), 3));
        Assert.Null(timing.EstimatedSecondsLeft);
        Assert.Equal(16 * 60, timing.ElapsedSeconds);

        var queued = Given(Queued());
        Assert.Null(JobTiming.For(queued, T0.AddMinutes(1), []).ElapsedSeconds);
    }

    [Fact]
    public void an_ended_job_has_its_actual_duration_beside_the_estimate()
    {
        var end = StartedAt.AddMinutes(27);
        var job = Given(Queued(estimatedHours: 0.52m), Started(StartedAt), Progress(135, end.AddSeconds(-5)),
            new TrainingJobCompleted(JobId, end, 3.10m, new GpuUsage("A100-80GB", 2, 7m, StartedAt, end)));

        var timing = JobTiming.For(job, end.AddHours(3), Points(116, 135, end.AddSeconds(-100), 5));

        Assert.Equal(27 * 60, timing.ActualDurationSeconds);
        Assert.Equal(27 * 60, timing.ElapsedSeconds); // not counting on after the end
        Assert.Equal(0.52 * 3600, timing.EstimatedDurationSeconds, 6);
        Assert.Null(timing.EstimatedSecondsLeft);
    }

    [Fact]
    public void progress_counts_steps_not_the_clusters_weighting_of_its_fixed_work()
    {
        var queued = Queued() with { TotalSteps = 15 };
        var at = StartedAt.AddMinutes(11);

        // the cluster said 1.3% at step 3 of 15: its own figure weighs start-up, validations and the save by time
        Assert.Equal(20m, JobView.StepProgress(Given(queued, Started(StartedAt), Progress(3, at, progress: 1.3m))));
        Assert.Equal(20m, JobView.From(Given(queued, Started(StartedAt), Progress(3, at, progress: 1.3m)), at).Progress);
        Assert.Equal(33.3m, JobView.StepProgress(Given(queued, Started(StartedAt), Progress(5, at, progress: 5.6m))));
        Assert.Equal(0m, JobView.StepProgress(Given(queued)));
        Assert.Equal(100m, JobView.StepProgress(Given(queued, Started(StartedAt), Progress(15, at, stage: "saving"),
            new TrainingJobCompleted(JobId, at.AddMinutes(5), 1m, new GpuUsage("A100-80GB", 2, 7m, StartedAt, at.AddMinutes(5))))));
    }
}
