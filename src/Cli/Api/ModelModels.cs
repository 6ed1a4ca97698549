namespace LoraPipeline.Cli.Api;

public sealed record QualityMetrics(
    double? FinalTrainingLoss, double? FinalValidationLoss, double? Perplexity, double? LossReduction, double? GeneralizationGap,
    string? ConvergenceQuality, int OverallScore);

public sealed record TrainingSummary(int EpochsCompleted, int TotalSteps, double? FinalLoss, decimal TrainingDurationHours, decimal TotalCost);

public sealed record ModelConfiguration(string? PresetId, Hyperparameters? Hyperparameters, GpuConfig? GpuConfig);

public sealed record AdapterDescription(string? PeftType, int? Rank, int? Alpha, IReadOnlyList<string>? TargetModules, int? TensorCount, long? ParameterCount, string? DType);

public sealed record ArtifactFile(string Name, long Size, string Sha256, string? Description, string? FlaggedReason)
{
    public bool Flagged => FlaggedReason is not null;
}

/// <summary>A trained model (E01's model_artifacts). Statuses: collecting, stored, flagged, failed.</summary>
public sealed record Model(
    Guid Id, Guid JobId, Guid DatasetId, string? DatasetName, string Name, string? Version, string? Description, string Status,
    QualityMetrics? QualityMetrics, TrainingSummary? TrainingSummary, ModelConfiguration? Configuration, AdapterDescription? Adapter,
    IReadOnlyList<ArtifactFile>? Artifacts, long TotalSize, int CollectionAttempts, string? CollectionError, int QualityScore,
    DateTimeOffset CreatedAt);

public sealed record ModelList(IReadOnlyList<Model> Models, Pagination? Pagination);

/// <summary>A signed link: valid until <c>expires_at</c>, served with Range support.</summary>
public sealed record DownloadLink(string FileName, long Size, string Sha256, string Url, DateTimeOffset? ExpiresAt, bool Flagged, string? FlaggedReason);

/// <summary><c>POST /api/models/{id}/download</c> and (newer servers) <c>POST /api/jobs/{id}/checkpoints/{step}/download</c>.</summary>
public sealed record DownloadLinks(IReadOnlyList<DownloadLink> Links);
