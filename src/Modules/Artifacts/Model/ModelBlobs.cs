using LoraPipeline.Artifacts.Checkpoints;
using LoraPipeline.Artifacts.Collecting;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Platform.Storage;
using Marten;

namespace LoraPipeline.Artifacts.Model;

/// <summary>
/// The lora-models bucket's owner. A model's files ({user}/{job}/{file}) are served while the model is not
/// deleted, and kept until it is purged; a checkpoint's copies ({user}/{job}/checkpoints/step-N/{file}) while their
/// record exists and the job's model, if any, is not deleted.
/// </summary>
internal sealed class ModelBlobs(IDocumentStore store) : IBlobOwner
{
    public string Bucket => Buckets.Models;

    public Task<bool> MayServeAsync(BlobLocation location, CancellationToken ct) => CheckAsync(location, serving: true, ct);

    public Task<bool> IsReferencedAsync(BlobLocation location, CancellationToken ct) => CheckAsync(location, serving: false, ct);

    private async Task<bool> CheckAsync(BlobLocation location, bool serving, CancellationToken ct)
    {
        var parts = location.Path.Split('/');
        if (parts.Length < 3 || !Guid.TryParse(parts[0], out var userId) || !Guid.TryParse(parts[1], out var jobId))
        {
            return false;
        }

        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var model = await session.LoadAsync<ModelArtifact>(ArtifactCollector.ArtifactIdFor(jobId), ct);
        var modelWanted = serving ? model is null or { DeletedAt: null, PurgedAt: null } : model is null or { PurgedAt: null };
        if (parts is [_, _, "checkpoints", var stepFolder, _] && stepFolder.StartsWith("step-", StringComparison.Ordinal)
            && int.TryParse(stepFolder[5..], out var step))
        {
            return modelWanted && await session.LoadAsync<StoredCheckpoint>(StoredCheckpoint.IdFor(jobId, step), ct) is not null;
        }

        return parts.Length == 3 && model is not null && modelWanted && model.Artifacts.Any(f => f.StoragePath == location.Path);
    }
}
