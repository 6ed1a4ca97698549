using LoraPipeline.Platform.Identity;
using LoraPipeline.Platform.Storage;
using Marten;

namespace LoraPipeline.Datasets.Model;

/// <summary>
/// The lora-datasets bucket's owner: blobs live at {user}/{dataset}/{file}, and a dataset's files are wanted (and
/// served through signed links) until the dataset is purged. A soft-deleted dataset keeps serving: the jobs that
/// used it may still read it.
/// </summary>
internal sealed class DatasetBlobs(IDocumentStore store) : IBlobOwner
{
    public string Bucket => Buckets.Datasets;

    public Task<bool> MayServeAsync(BlobLocation location, CancellationToken ct) => IsReferencedAsync(location, ct);

    public async Task<bool> IsReferencedAsync(BlobLocation location, CancellationToken ct)
    {
        var parts = location.Path.Split('/');
        if (parts.Length != 3 || !Guid.TryParse(parts[0], out var userId) || !Guid.TryParse(parts[1], out var datasetId))
        {
            return false;
        }

        await using var session = store.QuerySession(Caller.TenantOf(userId));
        return await session.LoadAsync<Dataset>(datasetId, ct) is { PurgedAt: null };
    }
}
