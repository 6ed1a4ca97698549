using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;
using Marten;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Runtime.Handlers;

namespace LoraPipeline.Training.Execution;

/// <summary>
/// Look for a cluster job made by a submission we gave up on after time-outs: the cluster may have accepted it
/// without our hearing, and would train it unbilled. Found by our job id (the idempotency key), it is cancelled
/// there like any other, pending until the cluster confirms.
/// </summary>
public sealed record ReconcileAbandonedSubmission(Guid JobId);

public static class ReconcileAbandonedSubmissionHandler
{
    public static void Configure(HandlerChain chain) =>
        chain.OnException<ClusterUnavailableException>()
            .ScheduleRetry(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2))
            .Then.Discard();

    public static async Task Handle(
        ReconcileAbandonedSubmission command, IDocumentSession session, IMessageBus bus, GpuClusterClient cluster, TimeProvider clock,
        ILogger<GpuClusterClient> logger, CancellationToken ct)
    {
        switch (await cluster.FindByIdempotencyKeyAsync(command.JobId, ct))
        {
            case ClusterCall<ClusterSubmitResponse>.Answered { Value.ExternalJobId: var found }:
                var stream = await session.Events.FetchForExclusiveWriting<TrainingJob>(command.JobId, ct);
                if (stream.Aggregate is not { ExternalJobId: null, ClusterCancelTarget: null })
                {
                    return; // recorded meanwhile, or already being cancelled
                }

                logger.LogWarning("Job {JobId}'s submission was given up, but the GPU cluster has it as {ExternalJobId}: cancelling it there",
                    command.JobId, found);
                var (recorded, sent) = ClusterCancels.Request(command.JobId, found, clock.GetUtcNow());
                stream.AppendOne(recorded);
                await bus.PublishAsync(sent);
                break;
            case ClusterCall<ClusterSubmitResponse>.Transient transient:
                throw new ClusterUnavailableException(transient.Reason);
            default:
                break; // the cluster never made it (404), or cannot look it up: nothing trains
        }
    }
}
