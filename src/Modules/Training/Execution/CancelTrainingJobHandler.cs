using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Jobs;
using Marten;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Runtime.Handlers;

namespace LoraPipeline.Training.Execution;

/// <summary>
/// Cancels a queued, initializing or running job: the job ends here with its final cost whatever
/// the cluster says, and the cluster is asked to stop through the outbox (retried). A cancel that
/// races a completion leaves one terminal event: both take the stream's lock (exclusive writing),
/// so the second reads the first's result and finds the job already ended.
/// </summary>
public static class CancelTrainingJobHandler
{
    public static async Task<CancelOutcome> Handle(CancelTrainingJob command, IDocumentSession session, IMessageBus bus, TimeProvider clock, CancellationToken ct)
    {
        var stream = await session.Events.FetchForExclusiveWriting<TrainingJob>(command.JobId, ct);
        var job = stream.Aggregate;
        if (job is null)
        {
            return new CancelOutcome(Found: false, Cancelled: false, Status: "");
        }

        if (!job.IsActive)
        {
            return new CancelOutcome(Found: true, Cancelled: false, Status: job.Status.ToString().ToLowerInvariant());
        }

        stream.AppendOne(JobEndings.Cancelled(job, command.Reason, clock.GetUtcNow()));
        if (job.ExternalJobId is not null)
        {
            await bus.PublishAsync(new CancelOnCluster(job.Id, job.ExternalJobId));
        }

        return new CancelOutcome(Found: true, Cancelled: true, Status: "cancelled");
    }
}

/// <summary>Tells the cluster to stop; retried with back-off while the cluster is unreachable, then given up.</summary>
public static class CancelOnClusterHandler
{
    public static void Configure(HandlerChain chain) =>
        chain.OnException<ClusterUnavailableException>()
            .ScheduleRetry(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10))
            .Then.Discard();

    public static async Task Handle(CancelOnCluster command, GpuCluster.GpuClusterClient cluster, ILogger<GpuCluster.GpuClusterClient> logger, CancellationToken ct)
    {
        switch (await cluster.CancelAsync(command.ExternalJobId, ct))
        {
            case GpuCluster.ClusterCall<System.Text.Json.JsonElement>.Transient transient:
                throw new ClusterUnavailableException(transient.Reason);
            case GpuCluster.ClusterCall<System.Text.Json.JsonElement>.Refused or GpuCluster.ClusterCall<System.Text.Json.JsonElement>.NotFound:
                logger.LogInformation("The GPU cluster had nothing to cancel for job {JobId} ({ExternalJobId})", command.JobId, command.ExternalJobId);
                break;
        }
    }
}

public sealed class ClusterUnavailableException(string reason) : Exception(reason);
