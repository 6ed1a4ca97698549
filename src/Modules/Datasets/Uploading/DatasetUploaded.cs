namespace LoraPipeline.Datasets.Uploading;

/// <summary>A dataset file was stored; the stream's first event. Validation starts from it.</summary>
public sealed record DatasetUploaded(
    Guid DatasetId,
    Guid UserId,
    string Name,
    string? Description,
    string Format,
    string FileName,
    long FileSize,
    string FileSha256,
    string StoragePath,
    int MaxSequenceLength,
    DateTimeOffset UploadedAt);
