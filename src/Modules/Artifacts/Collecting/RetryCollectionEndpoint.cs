using LoraPipeline.Artifacts.Model;
using LoraPipeline.Platform.Http;
using LoraPipeline.Training.Contracts;
using Marten;
using Wolverine;
using Wolverine.Http;

namespace LoraPipeline.Artifacts.Collecting;

/// <summary>The user asked to collect a failed model's files again: its attempts count from one.</summary>
public sealed record ArtifactCollectionRestarted(Guid ArtifactId, DateTimeOffset At);

/// <summary>
/// A collection that gave up (the cluster's storage down for longer than the attempts last) is
/// not the end of a model the user paid to train: they start it again from the model's page.
/// Files already stored are kept and skipped, as in any retry.
/// </summary>
public static class RetryCollectionEndpoint
{
    [WolverinePost("/api/models/{id}/collect", OperationId = "RetryModelCollection"), Tags("Models")]
    public static async Task<IResult> Retry(Guid id, IDocumentSession session, ITrainingJobs jobs, IMessageBus bus, TimeProvider clock, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<ModelArtifact>(id, ct);
        if (stream.Aggregate is not { DeletedAt: null } model)
        {
            throw ApiProblems.NotFound("Model");
        }

        var restarted = Decide(model, clock.GetUtcNow());
        // the job's cluster id is on the job, not the model; a failed model's job has completed
        var job = await jobs.FindCompletedAsync(model.UserId, model.JobId, ct)
            ?? throw ApiProblems.Conflict("Job not completed", "The training job behind this model has not completed; there is nothing to collect.");

        stream.AppendOne(restarted);
        await bus.PublishAsync(new RetryArtifactCollection(model.JobId, model.UserId, job.ExternalJobId, Attempt: 1));
        await session.SaveChangesAsync(ct);
        return Api.Accepted(await session.LoadAsync<ModelArtifact>(id, ct));
    }

    public static ArtifactCollectionRestarted Decide(ModelArtifact model, DateTimeOffset now) => model.Status switch
    {
        ArtifactStatus.Failed => new ArtifactCollectionRestarted(model.Id, now),
        ArtifactStatus.Collecting => throw ApiProblems.Conflict("Collection in progress",
            "The model's files are being collected; wait for the result.", new { status = "collecting" }),
        _ => throw ApiProblems.Conflict("Model already stored", "Every file of this model is stored; there is nothing to collect again.",
            new { status = model.Status.ToString().ToLowerInvariant() }),
    };
}
