using LoraPipeline.Artifacts.Model;
using LoraPipeline.Platform.Http;
using Marten;
using Marten.Pagination;
using Wolverine.Http;

namespace LoraPipeline.Artifacts.Browsing;

public enum ModelSort
{
    CreatedAt,
    Quality,
}

public sealed record ModelList(IReadOnlyList<ModelArtifact> Models, Pagination Pagination);

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
        return Api.Ok(new ModelList(models.ToList(), Pagination.Of(p, l, models.TotalItemCount)));
    }
}

public static class GetModelEndpoint
{
    /// <summary>One model: quality metrics, training summary, configuration, files with sizes and checksums.</summary>
    [WolverineGet("/api/models/{id}", OperationId = "GetModel"), Tags("Models")]
    public static async Task<ApiResponse<ModelArtifact>> Get(Guid id, IQuerySession session, CancellationToken ct) =>
        Api.Ok(await session.LoadAsync<ModelArtifact>(id, ct) is { DeletedAt: null } model ? model : throw ApiProblems.NotFound("Model"));
}

public static class UpdateModelEndpoint
{
    public const int MaxNameLength = 200;
    public const int MaxDescriptionLength = 2000;

    /// <summary>Rename a model or change its description.</summary>
    [WolverinePatch("/api/models/{id}", OperationId = "UpdateModel"), Tags("Models")]
    public static async Task<ApiResponse<ModelArtifact>> Update(Guid id, UpdateModel body, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<ModelArtifact>(id, ct);
        if (stream.Aggregate is not { DeletedAt: null } model)
        {
            throw ApiProblems.NotFound("Model");
        }

        var errors = new FieldErrors();
        var name = body.Name is { } asked ? UserText.Clean(asked) : model.Name;
        var description = body.Description is { } text ? UserText.Clean(text) : model.Description;
        errors.RequireText("name", name, MaxNameLength);
        if (description is { Length: > MaxDescriptionLength })
        {
            errors.Add("description", $"must be at most {MaxDescriptionLength} characters");
        }

        if (errors.Any)
        {
            throw ApiProblems.Validation(errors);
        }

        stream.AppendOne(new ModelArtifactRenamed(id, name, description, clock.GetUtcNow()));
        await session.SaveChangesAsync(ct);
        return Api.Ok((await session.LoadAsync<ModelArtifact>(id, ct))!);
    }
}

public static class DeleteModelEndpoint
{
    /// <summary>Soft delete: the model leaves the lists and its links; its files are kept.</summary>
    [WolverineDelete("/api/models/{id}", OperationId = "DeleteModel"), Tags("Models")]
    public static async Task<IResult> Delete(Guid id, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<ModelArtifact>(id, ct);
        if (stream.Aggregate is not { DeletedAt: null })
        {
            throw ApiProblems.NotFound("Model");
        }

        stream.AppendOne(new ModelArtifactDeleted(id, clock.GetUtcNow()));
        await session.SaveChangesAsync(ct);
        return Results.NoContent();
    }
}
