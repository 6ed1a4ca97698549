using LoraPipeline.SlurmGateway.Slurm;

namespace LoraPipeline.SlurmGateway.Jobs;

/// <summary>
/// Folds what Slurm says of a job's current Slurm job into its state: attempts open when Slurm starts the job
/// (again, after a requeue: a higher restart_cnt) and close when it stops; the end is recorded once.
/// A pure function of (state, Slurm's job, the trainer's progress, now), so the monitor and the tests share it.
/// </summary>
internal static class SlurmObservation
{
    public static JobState Apply(JobState state, SlurmJob? slurm, TrainerProgress progress, string folder, DateTimeOffset now)
    {
        if (state.Final is not null || state.CurrentSlurmJobId is not { } current)
        {
            return state;
        }

        if (slurm is null || slurm.JobId != current)
        {
            return state;
        }

        var open = state.OpenAttempt;
        var lastStep = progress.Checkpoints.Count > 0 ? progress.Checkpoints[^1].Step : 0;
        // a requeue shows first as COMPLETING with the new restart count, then PENDING: both are the end of the attempt
        var requeued = slurm.RestartCount > 0 && (open is null || (open.SlurmJobId == slurm.JobId && slurm.RestartCount > open.RestartCount));
        if (slurm.JobState == "COMPLETING" && !requeued)
        {
            return state;
        }

        if (slurm.IsRunning && slurm.JobState != "COMPLETING" && slurm.Started is { } started)
        {
            if (state.Paused)
            {
                return state; // the paused Slurm job is being stopped: it opens no attempt
            }

            if (open is not null && open.SlurmJobId == slurm.JobId && open.RestartCount == slurm.RestartCount)
            {
                return state with { QueueReason = null };
            }

            var attempts = Close(state.Attempts, progress.LastTimestamp is { } t && t < started ? t : started, "preempted");
            var from = open is null && state.Attempts.Count == 0 ? 0 : lastStep;
            attempts = [.. attempts, new Attempt(attempts.Count + 1, slurm.JobId, slurm.RestartCount, started, null, Phases.Running, from, state.NumGpus)];
            return state with { Attempts = attempts, QueueReason = null };
        }

        if (slurm.IsPending || slurm.JobState == "COMPLETING")
        {
            var attempts = requeued && open is not null ? Close(state.Attempts, progress.LastTimestamp ?? now, "preempted") : state.Attempts;
            return state with
            {
                Attempts = attempts,
                Waiting = requeued ? Phases.Recovering : Phases.Queued,
                QueueReason = slurm.StateReason is null or "None" ? null : slurm.StateReason,
            };
        }

        // the Slurm job ended; if it started and ended between two cycles, its attempt is recorded now from Slurm's times
        var ended = slurm.Ended ?? now;
        if (slurm.Started is { } ranFrom && !state.Paused && !state.Attempts.Any(a => a.SlurmJobId == slurm.JobId && a.RestartCount == slurm.RestartCount))
        {
            var closed = Close(state.Attempts, ranFrom, "preempted");
            state = state with { Attempts = [.. closed, new Attempt(closed.Count + 1, slurm.JobId, slurm.RestartCount, ranFrom, null, Phases.Running, closed.Count == 0 ? 0 : lastStep, state.NumGpus)] };
        }

        if (state.Paused)
        {
            return state with { Attempts = Close(state.Attempts, ended, Phases.Paused) };
        }

        if (state.CancelRequested)
        {
            return state with { Attempts = Close(state.Attempts, ended, Phases.Cancelled), Final = Phases.Cancelled, EndedAt = ended };
        }

        switch (slurm.JobState)
        {
            case "COMPLETED" when File.Exists(Path.Combine(folder, JobFolders.AdapterModel)) && File.Exists(Path.Combine(folder, "metrics.json")):
                return state with { Attempts = Close(state.Attempts, ended, Phases.Completed), Final = Phases.Completed, EndedAt = ended };
            case "PREEMPTED" or "NODE_FAIL":
                // not requeued by Slurm: waits for the platform's resume, which submits again from the checkpoint
                return state with { Attempts = Close(state.Attempts, ended, slurm.JobState == "NODE_FAIL" ? "node_lost" : "preempted"), Waiting = Phases.Recovering, AwaitingResume = true };
            case "CANCELLED":
                return state with
                {
                    Attempts = Close(state.Attempts, ended, Phases.Cancelled), Final = Phases.Cancelled, EndedAt = ended,
                    FinalError = "The job was cancelled on the cluster (scancel or an administrator).",
                };
            default:
                return state with
                {
                    Attempts = Close(state.Attempts, ended, Phases.Failed), Final = Phases.Failed, EndedAt = ended,
                    FinalError = FailureReasons.Explain(slurm, progress, folder),
                };
        }
    }

    /// <summary>Closes the open attempt, if any, with its end and outcome.</summary>
    internal static IReadOnlyList<Attempt> Close(IReadOnlyList<Attempt> attempts, DateTimeOffset endedAt, string outcome) =>
        attempts.Count > 0 && attempts[^1].EndedAt is null
            ? [.. attempts.Take(attempts.Count - 1), attempts[^1] with { EndedAt = endedAt < attempts[^1].StartedAt ? attempts[^1].StartedAt : endedAt, Outcome = outcome }]
            : attempts;
}
