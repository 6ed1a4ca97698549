namespace LoraPipeline.Datasets.Contracts;

/// <summary>
/// Published fact, appended to the dataset's stream when validation passes: the dataset can be
/// trained on. Other modules react to it (the notification inbox does).
/// </summary>
public sealed record DatasetReady(Guid DatasetId, string Name, long TotalTrainingPairs, long TotalTokens, DateTimeOffset ValidatedAt);
