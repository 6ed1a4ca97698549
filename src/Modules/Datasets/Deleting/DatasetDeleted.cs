namespace LoraPipeline.Datasets.Deleting;

/// <summary>Soft delete: hidden from lists, the file kept for the jobs that used it.</summary>
public sealed record DatasetDeleted(Guid DatasetId, DateTimeOffset DeletedAt);
