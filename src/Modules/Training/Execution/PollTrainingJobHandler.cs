using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine;

namespace LoraPipeline.Training.Execution;

/// <summary>
/// One link of a job's chain of scheduled polls. Poll n runs only if poll n-1 was the last one
/// recorded, and records itself in the same transaction that schedules poll n+1: a redelivered or
/// duplicated poll finds its number taken and stops, so there is exactly one chain per job, and
/// the chain survives restarts because scheduled messages are durable. The cluster is asked
/// first; only then is the job's stream locked (exclusive writing), re-read and decided on, so a
/// cancel or a push waits for a short commit instead of racing it. Paused and recovering jobs are
/// polled too: the cluster tells when they run again.
/// </summary>
public static class PollTrainingJobHandler
{
    public static async Task Handle(
        PollTrainingJob command, IDocumentSession session, IMessageBus bus, GpuClusterClient cluster,
        IOptions<GpuClusterOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var before = await session.LoadAsync<TrainingJob>(command.JobId, ct);
        if (!IsDue(before, command.PollNumber))
        {
            return;
        }

        var result = await cluster.GetStatusAsync(before!.ExternalJobId!, ClusterReports.SinceStep(before), ct);

        var stream = await session.Events.FetchForExclusiveWriting<TrainingJob>(command.JobId, ct);
        var job = stream.Aggregate;
        if (!IsDue(job, command.PollNumber))
        {
            return; // a push, a cancel or another delivery of this poll got there first
        }

        var settings = options.Value;
        var decision = ClusterReports.DecidePoll(job!, command.PollNumber, result, clock.GetUtcNow(), ReportRules.From(settings));
        stream.AppendMany(decision.Events);
        foreach (var message in decision.Messages)
        {
            await bus.PublishAsync(message);
        }

        if (decision.PollAgain)
        {
            await bus.ScheduleAsync(new PollTrainingJob(job!.Id, command.PollNumber + 1), settings.PollInterval);
        }
    }

    /// <summary>Jobs on the cluster that have not ended are polled: running, paused and recovering ones.</summary>
    public static bool IsPolled(JobStatus status) => status is JobStatus.Running or JobStatus.Paused or JobStatus.Recovering;

    private static bool IsDue(TrainingJob? job, int pollNumber) =>
        job is { ExternalJobId: not null } && IsPolled(job.Status) && job.LastPollNumber == pollNumber - 1;
}
