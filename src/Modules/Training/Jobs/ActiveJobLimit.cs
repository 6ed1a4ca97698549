using LoraPipeline.Platform.Limits;
using Marten;

namespace LoraPipeline.Training.Jobs;

/// <summary>
/// How many jobs one user may have that have not ended (queued, initializing, running, paused, recovering):
/// one user's thousand queued jobs would otherwise hold the cluster's queue for everyone. A 429: waiting for a
/// job to end lifts it.
/// </summary>
internal static class ActiveJobLimit
{
    public static async Task CheckAsync(IQuerySession session, int max, CancellationToken ct)
    {
        if (max <= 0)
        {
            return;
        }

        var active = await session.Query<TrainingJob>().CountAsync(
            j => j.Status != JobStatus.Completed && j.Status != JobStatus.Failed && j.Status != JobStatus.Cancelled, ct);
        if (active >= max)
        {
            throw new UserLimitExceeded("Too many active jobs",
                $"An account may have {max} jobs that have not ended (queued, running, paused or recovering) and this one has {active}; " +
                "retry when one ends, or cancel one.",
                "active_jobs", max, TimeSpan.FromMinutes(1)).ToProblem();
        }
    }
}
