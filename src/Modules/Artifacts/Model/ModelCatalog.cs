using LoraPipeline.Artifacts.Contracts;
using LoraPipeline.Platform.Identity;
using Marten;

namespace LoraPipeline.Artifacts.Model;

/// <summary>Answers <see cref="IModelCatalog"/> from the model view, in the user's own tenant.</summary>
internal sealed class ModelCatalog(IDocumentStore store) : IModelCatalog
{
    public async Task<object?> FindViewAsync(Guid userId, Guid modelId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        return await session.LoadAsync<ModelArtifact>(modelId, ct) is { DeletedAt: null } model ? ModelView.From(model) : null;
    }

    public async Task<IReadOnlyList<ModelSummary>> ListAsync(Guid userId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var models = await session.Query<ModelArtifact>().Where(m => m.DeletedAt == null).OrderByDescending(m => m.CreatedAt).ToListAsync(ct);
        return models.Select(Summary).ToList();
    }

    public async Task<ModelSummary?> FindAsync(Guid userId, Guid modelId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        return await session.LoadAsync<ModelArtifact>(modelId, ct) is { DeletedAt: null } model ? Summary(model) : null;
    }

    private static ModelSummary Summary(ModelArtifact m) => new(m.Id, m.JobId, m.Name, m.Status.ToString().ToLowerInvariant(), m.CreatedAt);
}
