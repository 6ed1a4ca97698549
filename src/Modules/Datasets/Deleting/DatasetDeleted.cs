namespace LoraPipeline.Datasets.Deleting;

/// <summary>Soft delete: hidden from lists, the file kept for the jobs that used it.</summary>
public sealed record DatasetDeleted(Guid DatasetId, DateTimeOffset DeletedAt);

/// <summary>The user asked for the dataset's files to be removed for real (its record stays, for the jobs' history).</summary>
public sealed record DatasetPurged(Guid DatasetId, DateTimeOffset PurgedAt);

/// <summary>Remove a purged dataset's files (after the purge is committed; idempotent).</summary>
public sealed record RemoveDatasetFiles(Guid DatasetId);
