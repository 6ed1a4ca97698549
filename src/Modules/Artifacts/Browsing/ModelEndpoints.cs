using LoraPipeline.Artifacts.Model;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Storage;
using Marten;
using Marten.Pagination;
using Microsoft.AspNetCore.Mvc;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

namespace LoraPipeline.Artifacts.Browsing;

public enum ModelSort
{
    CreatedAt,
    Quality,
}

public sealed record ModelList(IReadOnlyList<ModelView> Models, Pagination Pagination);

public sealed record UpdateModel(string? Name, string? Description);

public static class ListModelsEndpoint
{
    /// <summary>The caller's models (E05), newest first or best first (<c>sort=quality</c>); deleted ones are hidden.</summary>
    [WolverineGet("/api/models", OperationId = "ListModels"), Tags("Models")]
    public static async Task<ApiResponse<ModelList>> List(IQuerySession session, int? page, int? limit, string? sort, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var (p, l) = PageRequest.Resolve(page, limit, errors);
        var order = sort switch
        {
            null or "" or "created_at" => ModelSort.CreatedAt,
            "quality" => ModelSort.Quality,
            _ => (ModelSort?)null,
        };
        if (order is null)
        {
            errors.Add("sort", "must be created_at (default) or quality");
        }

        if (errors.Any)
        {
            throw ApiProblems.Validation(errors);
        }

        var query = session.Query<ModelArtifact>().Where(m => m.DeletedAt == null);
        query = order == ModelSort.Quality
            ? query.OrderByDescending(m => m.QualityScore).ThenByDescending(m => m.CreatedAt)
            : query.OrderByDescending(m => m.CreatedAt);
        var models = await query.ToPagedListAsync(p, l, ct);
        return Api.Ok(new ModelList(models.Select(ModelView.From).ToList(), Pagination.Of(p, l, models.TotalItemCount)));
    }
}

public static class GetModelEndpoint
{
    /// <summary>One model: quality metrics, training summary, configuration, files with sizes and checksums.</summary>
    [WolverineGet("/api/models/{id}", OperationId = "GetModel"), Tags("Models")]
    public static async Task<ApiResponse<ModelView>> Get(Guid id, IQuerySession session, CancellationToken ct) =>
        Api.Ok(await session.LoadAsync<ModelArtifact>(id, ct) is { DeletedAt: null } model ? ModelView.From(model) : throw ApiProblems.NotFound("Model"));
}

/// <summary>Rename a model or change its description.</summary>
public static class UpdateModelEndpoint
{
    public const int MaxNameLength = 200;
    public const int MaxDescriptionLength = 2000;

    public static ProblemDetails Validate(UpdateModel body, ModelArtifact? model)
    {
        if (model is not { DeletedAt: null })
        {
            return ApiProblems.NotFound("Model").ToProblemDetails();
        }

        var (name, description) = Cleaned(body, model);
        var errors = new FieldErrors();
        errors.RequireText("name", name, MaxNameLength);
        if (description is { Length: > MaxDescriptionLength })
        {
            errors.Add("description", $"must be at most {MaxDescriptionLength} characters");
        }

        return errors.Any ? ApiProblems.Validation(errors).ToProblemDetails() : WolverineContinue.NoProblems;
    }

    [WolverinePatch("/api/models/{id}", OperationId = "UpdateModel"), Tags("Models")]
    [ProducesResponseType<ApiResponse<ModelView>>(StatusCodes.Status200OK)]
    public static (IResult, ModelArtifactRenamed) Update(Guid id, UpdateModel body, [WriteAggregate("id", Required = false)] ModelArtifact? model, TimeProvider clock)
    {
        var (name, description) = Cleaned(body, model!);
        return (ReadAfterCommit.Ok<ModelArtifact, ModelView>(id, ModelView.From), new ModelArtifactRenamed(id, name, description, clock.GetUtcNow()));
    }

    /// <summary>The name and description asked for, without control characters; the current ones where left out.</summary>
    private static (string Name, string? Description) Cleaned(UpdateModel body, ModelArtifact model) =>
        (body.Name is { } name ? UserText.Clean(name) : model.Name, body.Description is { } text ? UserText.Clean(text) : model.Description);
}

/// <summary>
/// Soft delete: the model leaves the lists and its links stop working; its files are kept. With <c>?purge=true</c>
/// (also on a model already deleted) its files and its job's stored checkpoint copies are removed for real.
/// </summary>
public static class DeleteModelEndpoint
{
    public static ProblemDetails Validate(ModelArtifact? model, bool? purge) =>
        model is { DeletedAt: null } || (purge == true && model is { PurgedAt: null })
            ? WolverineContinue.NoProblems
            : ApiProblems.NotFound("Model").ToProblemDetails();

    [WolverineDelete("/api/models/{id}", OperationId = "DeleteModel"), Tags("Models")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    public static (IResult, Events, OutgoingMessages) Delete(
        Guid id, bool? purge, [WriteAggregate("id", Required = false)] ModelArtifact? model, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var events = new Events();
        var messages = new OutgoingMessages();
        if (model!.DeletedAt is null)
        {
            events.Add(new ModelArtifactDeleted(id, now));
        }

        if (purge == true)
        {
            events.Add(new ModelArtifactPurged(id, now));
            messages.Add(new RemoveModelFiles(id));
        }

        return (Results.NoContent(), events, messages);
    }
}

/// <summary>Removes a purged model's files and its job's checkpoint copies; a redelivery finds nothing left.</summary>
public static class RemoveModelFilesHandler
{
    public static async Task Handle(RemoveModelFiles command, IDocumentSession session, IBlobStore blobs, CancellationToken ct)
    {
        if (await session.LoadAsync<ModelArtifact>(command.ArtifactId, ct) is not { PurgedAt: not null } model)
        {
            return;
        }

        foreach (var file in model.Artifacts)
        {
            blobs.Delete(ModelArtifact.Location(file));
        }

        var checkpoints = await session.Query<Checkpoints.StoredCheckpoint>().Where(c => c.JobId == model.JobId).ToListAsync(ct);
        foreach (var checkpoint in checkpoints)
        {
            foreach (var file in checkpoint.Files)
            {
                blobs.Delete(ModelArtifact.Location(file));
            }

            session.Delete(checkpoint);
        }
    }
}
