using LoraPipeline.Platform.Storage;

namespace LoraPipeline.Datasets.Contracts;

/// <summary>
/// Datasets as plain files (what OpenAI's Files API shows): upload one, read, list and delete them, in the caller's
/// own tenant. Refusals are <c>ApiProblemException</c>s with the native API's status and words (400, 409, 413, 415);
/// a refused upload leaves nothing behind.
/// </summary>
public interface IDatasetFiles
{
    /// <summary>The largest file accepted (Datasets:MaxUploadBytes), for a caller that reads the request itself.</summary>
    long MaxUploadBytes { get; }

    /// <summary>Stores the file (streamed) as a dataset named after it and queues its validation.</summary>
    Task<DatasetFile> UploadAsync(Guid userId, string fileName, string? contentType, Stream content, CancellationToken ct);

    /// <summary>The dataset, deleted or not, or null when it is not the user's.</summary>
    Task<DatasetFile?> FindAsync(Guid userId, Guid datasetId, CancellationToken ct);

    /// <summary>The user's datasets that are not deleted, newest first.</summary>
    Task<IReadOnlyList<DatasetFile>> ListAsync(Guid userId, CancellationToken ct);

    /// <summary>Soft-deletes the dataset; false when it is not the user's (or already deleted). 409 while a job uses it.</summary>
    Task<bool> DeleteAsync(Guid userId, Guid datasetId, CancellationToken ct);
}

/// <summary>
/// A dataset seen as a file. <paramref name="Status"/> is the native status (validating, ready, error);
/// <paramref name="FirstErrors"/> are the first validation errors as "line N: message".
/// </summary>
public sealed record DatasetFile(
    Guid Id,
    string Name,
    string FileName,
    long Bytes,
    DateTimeOffset CreatedAt,
    string Status,
    long ErrorCount,
    IReadOnlyList<string> FirstErrors,
    BlobLocation File,
    bool Deleted);
