namespace LoraPipeline.Artifacts.Contracts;

/// <summary>What other modules may ask about trained models.</summary>
public interface IModelCatalog
{
    /// <summary>The model as <c>GET /api/models/{id}</c> shows it (for payloads that carry the API's shapes), or null.</summary>
    Task<object?> FindViewAsync(Guid userId, Guid modelId, CancellationToken ct);
}
