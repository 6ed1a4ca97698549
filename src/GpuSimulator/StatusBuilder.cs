namespace LoraPipeline.GpuSimulator;

/// <summary>Builds the status document of a job at an instant: a pure function of the row and the time.</summary>
internal static class StatusBuilder
{
    /// <summary>Returns null when the cluster no longer knows the job (lost-job fault).</summary>
    public static StatusResponse? Build(JobRecord job, DateTimeOffset now, int sinceStep)
    {
        var simulation = new JobSimulation(job);
        var snapshot = simulation.SnapshotAt(now);
        if (snapshot.Lost)
        {
            return null;
        }

        return new StatusResponse
        {
            ExternalJobId = job.ExternalJobId,
            Status = snapshot.Status,
            Stage = snapshot.Stage,
            Progress = simulation.Progress(snapshot),
            CurrentEpoch = snapshot.CurrentEpoch,
            TotalEpochs = simulation.Epochs,
            CurrentStep = snapshot.CurrentStep,
            TotalSteps = simulation.TotalSteps,
            StartedAt = snapshot.StartedAt,
            CompletedAt = snapshot.CompletedAt,
            ErrorMessage = snapshot.ErrorMessage,
            Metrics = simulation.CurrentPoint(snapshot),
            MetricsHistory = simulation.History(snapshot, sinceStep).Take(JobSimulation.MaxHistoryPoints).ToList(),
            Attempt = snapshot.Attempt,
            RecoveryCount = snapshot.RecoveryCount,
            GpuSeconds = GpuSeconds(snapshot.AllocatedSeconds, job),
            Attempts = snapshot.Attempts
                .Select(a => new AttemptInfo(a.Number, a.StartedAt, a.EndedAt, GpuSeconds(a.Elapsed, job), a.Outcome, a.FromStep))
                .ToList(),
            Checkpoints = snapshot.Checkpoints
                .Select(c => new CheckpointInfo(c.Step, c.Epoch, c.CreatedAt, c.TrainingLoss, c.ValidationLoss, JobSimulation.CheckpointFiles))
                .ToList(),
        };
    }

    /// <summary>GPU-seconds of simulated allocation time: seconds x GPUs, to the millisecond.</summary>
    public static double GpuSeconds(double allocatedSeconds, JobRecord job) =>
        Math.Round(allocatedSeconds * job.GpuConfig.NumGpus, 3);

    /// <summary>The current time truncated to microseconds, the precision PostgreSQL stores.</summary>
    public static DateTimeOffset Now(TimeProvider clock)
    {
        var now = clock.GetUtcNow().ToUniversalTime();
        return now.AddTicks(-(now.Ticks % 10));
    }
}
