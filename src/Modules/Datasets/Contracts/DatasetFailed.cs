namespace LoraPipeline.Datasets.Contracts;

/// <summary>
/// Published fact, appended to the dataset's stream when validation finds errors: the dataset cannot be trained on
/// until it is fixed and uploaded again (or validated with other settings). Other modules react to it (webhooks do).
/// </summary>
public sealed record DatasetFailed(Guid DatasetId, string Name, long ErrorCount, DateTimeOffset ValidatedAt);
