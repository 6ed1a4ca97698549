using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.Contracts;
using Wolverine;

namespace LoraPipeline.Artifacts.Collecting;

/// <summary>
/// Artifacts reacts to Training's published completion (forwarded from the job's stream through the
/// outbox when it commits): the trained files become a model. Training does not know this module.
/// </summary>
public static class JobCompletedHandler
{
    public static async Task<CollectArtifacts?> Handle(TrainingJobCompleted completed, IMessageContext context, ITrainingJobs jobs, CancellationToken ct)
    {
        var userId = Caller.UserOf(context.TenantId);
        // the cluster's id for the job's files is Training's to tell
        var job = await jobs.FindCompletedAsync(userId, completed.JobId, ct);
        return job is null ? null : new CollectArtifacts(completed.JobId, userId, job.ExternalJobId);
    }
}
