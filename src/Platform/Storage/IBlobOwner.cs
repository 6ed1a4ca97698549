namespace LoraPipeline.Platform.Storage;

/// <summary>
/// The module that writes a bucket says which of its blobs are still wanted. Signed links to a blob its owner no
/// longer serves answer 404 (the files of a deleted model), and the blob sweeper removes the ones no record
/// references. A module registers one per bucket it writes; a bucket without an owner is left alone.
/// </summary>
public interface IBlobOwner
{
    string Bucket { get; }

    /// <summary>Whether a valid signed link to this blob may still be served.</summary>
    Task<bool> MayServeAsync(BlobLocation location, CancellationToken ct);

    /// <summary>Whether a record still points at this blob (the sweeper keeps it).</summary>
    Task<bool> IsReferencedAsync(BlobLocation location, CancellationToken ct);
}
