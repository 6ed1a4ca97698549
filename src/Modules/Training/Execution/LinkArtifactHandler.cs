using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Jobs;
using Wolverine.Marten;

namespace LoraPipeline.Training.Execution;

/// <summary>Puts the stored model's id on the job's stream (once: a second link of the same job changes nothing).</summary>
public static class LinkArtifactHandler
{
    public static Events Handle(
        LinkArtifact command,
        [WriteAggregate(nameof(LinkArtifact.JobId), Required = false, LoadStyle = ConcurrencyStyle.Exclusive)] TrainingJob? job,
        TimeProvider clock) =>
        job is { ArtifactId: null } ? [new ArtifactLinked(command.JobId, command.ArtifactId, clock.GetUtcNow())] : [];
}
