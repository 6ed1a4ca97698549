using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Jobs;
using Wolverine;
using Wolverine.ErrorHandling;
using Wolverine.Marten;
using Wolverine.Runtime.Handlers;

namespace LoraPipeline.Training.Execution;

/// <summary>
/// Cancels a queued, initializing or running job: the job ends here with its final cost whatever
/// the cluster says, and the cluster is asked to stop through the outbox (retried). The stream is
/// locked while deciding (exclusive), so a cancel racing a completion leaves one terminal event:
/// the second reads the first's result and finds the job already ended.
/// </summary>
public static class CancelTrainingJobHandler
{
    public static (CancelOutcome, Events, OutgoingMessages) Handle(
        CancelTrainingJob command,
        [WriteAggregate(nameof(CancelTrainingJob.JobId), Required = false, LoadStyle = ConcurrencyStyle.Exclusive)] TrainingJob? job,
        TimeProvider clock)
    {
        if (job is null)
        {
            return (new CancelOutcome(Found: false, Cancelled: false, Status: ""), [], []);
        }

        if (!job.IsActive)
        {
            return (new CancelOutcome(Found: true, Cancelled: false, Status: JobStatuses.Name(job.Status)), [], []);
        }

        var now = clock.GetUtcNow();
        var events = new Events { JobEndings.Cancelled(job, command.Reason, command.Cause, now) };
        var messages = new OutgoingMessages();
        if (job.ExternalJobId is not null)
        {
            var (recorded, sent) = ClusterCancels.Request(job.Id, job.ExternalJobId, now);
            events.Add(recorded);
            messages.Add(sent);
        }

        return (new CancelOutcome(Found: true, Cancelled: true, Status: "cancelled"), events, messages);
    }
}

/// <summary>Tells the cluster to stop; retried with back-off while the cluster is unreachable, then given up.</summary>
public static class CancelOnClusterHandler
{
    public static void Configure(HandlerChain chain) =>
        chain.OnException<ClusterUnavailableException>()
            .ScheduleRetry(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10))
            .Then.Discard();

    /// <summary>Any answer but a transient fault confirms: the work is stopped, or there was none left to stop.</summary>
    public static async Task<ConfirmClusterCancel> Handle(
        CancelOnCluster command, GpuCluster.GpuClusterClient cluster, ILogger<GpuCluster.GpuClusterClient> logger, CancellationToken ct)
    {
        switch (await cluster.CancelAsync(command.ExternalJobId, ct))
        {
            case GpuCluster.ClusterCall<System.Text.Json.JsonElement>.Transient transient:
                throw new ClusterUnavailableException(transient.Reason);
            case GpuCluster.ClusterCall<System.Text.Json.JsonElement>.Refused or GpuCluster.ClusterCall<System.Text.Json.JsonElement>.NotFound:
                logger.LogInformation("The GPU cluster had nothing to cancel for job {JobId} ({ExternalJobId})", command.JobId, command.ExternalJobId);
                break;
        }

        return new ConfirmClusterCancel(command.JobId, command.ExternalJobId);
    }
}

/// <summary>Record that the cluster confirmed a cancel.</summary>
public sealed record ConfirmClusterCancel(Guid JobId, string ExternalJobId);

public static class ConfirmClusterCancelHandler
{
    public static Events Handle(
        ConfirmClusterCancel command,
        [WriteAggregate(nameof(ConfirmClusterCancel.JobId), Required = false, LoadStyle = ConcurrencyStyle.Exclusive)] TrainingJob? job,
        TimeProvider clock) =>
        job is { ClusterCancelPendingSince: not null } && job.ClusterCancelTarget == command.ExternalJobId
            ? [new ClusterCancelConfirmed(command.JobId, command.ExternalJobId, clock.GetUtcNow())]
            : [];
}

public sealed class ClusterUnavailableException(string reason) : Exception(reason);
