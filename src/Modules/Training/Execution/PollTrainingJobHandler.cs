using LoraPipeline.Training.Contracts;
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
/// cancel or a push waits for a short commit instead of racing it.
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
        var (events, pollAgain) = ClusterReports.DecidePoll(job!, command.PollNumber, result, clock.GetUtcNow(), settings.MaxConsecutiveStatusFailures);
        stream.AppendMany(events);

        if (pollAgain)
        {
            await bus.ScheduleAsync(new PollTrainingJob(job!.Id, command.PollNumber + 1), settings.PollInterval);
        }
        else if (events.OfType<ClusterStatusCheckFailed>().Any() && events.OfType<TrainingJobFailed>().Any())
        {
            // we gave up reading its status, not the cluster its work: it may still be training, and billing
            await bus.PublishAsync(new CancelOnCluster(job!.Id, job.ExternalJobId!));
        }
    }

    private static bool IsDue(TrainingJob? job, int pollNumber) =>
        job is { Status: JobStatus.Running, ExternalJobId: not null } && job.LastPollNumber == pollNumber - 1;
}
