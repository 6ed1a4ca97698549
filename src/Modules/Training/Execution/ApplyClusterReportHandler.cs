using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Jobs;
using Marten;
using Wolverine;

namespace LoraPipeline.Training.Execution;

/// <summary>
/// A pushed report appends the same events a poll would (deduplicated by step); it does not take
/// a poll number, so the chain of polls goes on untouched until the job ends.
/// </summary>
public static class ApplyClusterReportHandler
{
    public static async Task Handle(ApplyClusterReport command, IDocumentSession session, IMessageBus bus, TimeProvider clock, CancellationToken ct)
    {
        var stream = await session.Events.FetchForExclusiveWriting<TrainingJob>(command.JobId, ct);
        var job = stream.Aggregate;
        if (job is not { Status: JobStatus.Running } || job.ExternalJobId != command.Status.ExternalJobId)
        {
            return;
        }

        var events = ClusterReports.Decide(job, command.Status, clock.GetUtcNow(), pollNumber: null);
        stream.AppendMany(events);
        if (events.OfType<TrainingJobCompleted>().Any())
        {
            await bus.PublishAsync(new CollectArtifacts(job.Id, job.UserId, job.ExternalJobId));
        }
    }
}
