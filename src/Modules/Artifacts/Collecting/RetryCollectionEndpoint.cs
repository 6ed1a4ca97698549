using LoraPipeline.Artifacts.Model;
using LoraPipeline.Platform.Http;
using LoraPipeline.Training.Contracts;
using Microsoft.AspNetCore.Mvc;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

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
    /// <summary>The job's cluster id is on the job, not the model (a failed model's job has completed).</summary>
    public static Task<CompletedJobReport?> LoadAsync(ModelArtifact? model, ITrainingJobs jobs, CancellationToken ct) =>
        model is null ? Task.FromResult<CompletedJobReport?>(null) : jobs.FindCompletedAsync(model.UserId, model.JobId, ct);

    public static ProblemDetails Validate(ModelArtifact? model, CompletedJobReport? job) => model switch
    {
        not { DeletedAt: null } => ApiProblems.NotFound("Model").ToProblemDetails(),
        { Status: ArtifactStatus.Collecting } => ApiProblems.Conflict("Collection in progress",
            "The model's files are being collected; wait for the result.", new { status = "collecting" }).ToProblemDetails(),
        { Status: not ArtifactStatus.Failed } => ApiProblems.Conflict("Model already stored", "Every file of this model is stored; there is nothing to collect again.",
            new { status = model.Status.ToString().ToLowerInvariant() }).ToProblemDetails(),
        _ when job is null => ApiProblems.Conflict("Job not completed", "The training job behind this model has not completed; there is nothing to collect.")
            .ToProblemDetails(),
        _ => WolverineContinue.NoProblems,
    };

    [WolverinePost("/api/models/{id}/collect", OperationId = "RetryModelCollection"), Tags("Models")]
    [ProducesResponseType<ApiResponse<ModelView>>(StatusCodes.Status202Accepted)]
    public static (IResult, ArtifactCollectionRestarted, OutgoingMessages) Retry(
        Guid id, [WriteAggregate("id", Required = false)] ModelArtifact? model, CompletedJobReport? job, TimeProvider clock) =>
        (ReadAfterCommit.Accepted<ModelArtifact, ModelView>(id, ModelView.From),
         new ArtifactCollectionRestarted(id, clock.GetUtcNow()),
         [new RetryArtifactCollection(model!.JobId, model.UserId, job!.ExternalJobId, Attempt: 1)]);
}
