using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Jobs;
using Marten;

namespace LoraPipeline.Training.Execution;

/// <summary>Puts the stored model's id on the job's stream (once).</summary>
public static class LinkArtifactHandler
{
    public static async Task Handle(LinkArtifact command, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var stream = await session.Events.FetchForExclusiveWriting<TrainingJob>(command.JobId, ct);
        if (stream.Aggregate is { ArtifactId: null })
        {
            stream.AppendOne(new ArtifactLinked(command.JobId, command.ArtifactId, clock.GetUtcNow()));
        }
    }
}
