using LoraPipeline.SlurmGateway.Api;

namespace LoraPipeline.SlurmGateway.Jobs;

/// <summary>The contract's status document of a job: its state (from Slurm, via the monitor) and the trainer's progress.</summary>
internal static class StatusComposer
{
    public static StatusResponse Compose(JobState state, TrainerProgress progress, int sinceStep, DateTimeOffset now)
    {
        var status = StatusOf(state, progress);
        var history = progress.Points.Where(p => p.Step > sinceStep).Take(500).ToList();
        var last = progress.Points.LastOrDefault();
        var total = Math.Max(progress.TotalSteps, 0);
        var step = status == Phases.Completed ? total : progress.LastStep;
        var attempts = state.Attempts.Select(a => new AttemptInfo(a.Number, a.StartedAt, a.EndedAt, Math.Round(a.GpuSeconds(now), 1), a.Outcome, a.FromStep)).ToList();
        return new StatusResponse
        {
            ExternalJobId = state.ExternalJobId,
            Status = status,
            Stage = status switch
            {
                Phases.Initializing => "loading_model",
                Phases.Running => "training",
                _ => status,
            },
            Progress = status == Phases.Completed ? 100 : total > 0 ? Math.Round(100.0 * step / total, 1) : 0,
            CurrentEpoch = Math.Max(progress.Epoch, status == Phases.Completed ? state.TotalEpochs : 0),
            TotalEpochs = state.TotalEpochs,
            CurrentStep = step,
            TotalSteps = total,
            StartedAt = state.Attempts.Count > 0 ? state.Attempts[0].StartedAt : null,
            CompletedAt = state.Final is null ? null : state.EndedAt,
            ErrorMessage = state.Final == Phases.Failed ? state.FinalError : null,
            QueueReason = status is Phases.Queued or Phases.Recovering ? state.QueueReason : null,
            EstimatedTimeRemainingSeconds = status == Phases.Running ? progress.EtaSeconds : null,
            Metrics = last,
            MetricsHistory = history,
            Attempt = Math.Max(1, state.Attempts.Count),
            RecoveryCount = RecoveryCount(state.Attempts),
            GpuSeconds = Math.Round(state.Attempts.Sum(a => a.GpuSeconds(now)), 1),
            Attempts = attempts,
            Checkpoints = progress.Checkpoints,
        };
    }

    public static string StatusOf(JobState state, TrainerProgress progress)
    {
        if (state.Final is { } final)
        {
            return final;
        }

        if (state.CancelRequested)
        {
            return Phases.Cancelled;
        }

        if (state.Paused)
        {
            return Phases.Paused;
        }

        if (state.OpenAttempt is { } open)
        {
            // running once the trainer has reported a step in this attempt; loading the model before that
            return progress.LastStepAt is { } at && at >= open.StartedAt ? Phases.Running : Phases.Initializing;
        }

        // a Slurm job submitted by a resume waits (for its predecessor to end, for resources) as a job being started again
        return state.Waiting == Phases.Queued && state.SlurmJobIds.Count > 1 ? Phases.Initializing : state.Waiting;
    }

    /// <summary>Restarts after a preemption or a lost node (not after a pause).</summary>
    public static int RecoveryCount(IReadOnlyList<Attempt> attempts) =>
        attempts.Skip(1).Where((_, i) => attempts[i].Outcome is "preempted" or "node_lost").Count();
}
