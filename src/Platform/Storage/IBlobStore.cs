namespace LoraPipeline.Platform.Storage;

/// <summary>
/// Where uploaded datasets and trained adapters live. The database stores (bucket, path) pairs,
/// never URLs; links are signed on demand by <see cref="FileLinkSigner"/>.
/// </summary>
public interface IBlobStore
{
    /// <summary>
    /// Streams <paramref name="content"/> into the blob without buffering it in memory. The blob
    /// appears atomically when the copy succeeds; on any failure (including
    /// <see cref="BlobTooLargeException"/>) nothing is left behind.
    /// </summary>
    Task<StoredBlob> WriteAsync(BlobLocation location, Stream content, long? maxBytes, CancellationToken ct);

    /// <summary>
    /// Lets <paramref name="produce"/> write the blob's content into a stream, for content made on the fly
    /// (a validation's errors file) that would otherwise need a temporary copy. Atomic like the other
    /// overload: the blob appears when <paramref name="produce"/> returns, and nothing is left when it throws.
    /// </summary>
    Task<StoredBlob> WriteAsync(BlobLocation location, Func<Stream, CancellationToken, Task> produce, CancellationToken ct);

    /// <summary>Opens a seekable read stream, or null when the blob does not exist.</summary>
    Stream? OpenRead(BlobLocation location);

    /// <summary>Size of an existing blob, or null; cheap (no hashing).</summary>
    long? SizeOf(BlobLocation location);

    /// <summary>SHA-256 of an existing blob (reads it whole), or null when it does not exist.</summary>
    Task<string?> ComputeSha256Async(BlobLocation location, CancellationToken ct);

    void Delete(BlobLocation location);
}

/// <summary>Size and SHA-256 (lower-case hex) of a stored blob.</summary>
public sealed record StoredBlob(BlobLocation Location, long Size, string Sha256);

public sealed class BlobTooLargeException(long limit)
    : Exception($"The content is larger than the limit of {limit} bytes.")
{
    public long Limit { get; } = limit;
}
