namespace LoraPipeline.Artifacts.Contracts;

/// <summary>What other modules may ask about trained models.</summary>
public interface IModelCatalog
{
    /// <summary>The model as <c>GET /api/models/{id}</c> shows it (for payloads that carry the API's shapes), or null.</summary>
    Task<object?> FindViewAsync(Guid userId, Guid modelId, CancellationToken ct);

    /// <summary>The user's models that are not deleted, newest first.</summary>
    Task<IReadOnlyList<ModelSummary>> ListAsync(Guid userId, CancellationToken ct);

    /// <summary>The user's model unless deleted, or null.</summary>
    Task<ModelSummary?> FindAsync(Guid userId, Guid modelId, CancellationToken ct);
}

/// <summary>A trained model in a few words: the job it came from, its name, its status (collecting, stored, ...).</summary>
public sealed record ModelSummary(Guid Id, Guid JobId, string Name, string Status, DateTimeOffset CreatedAt);
