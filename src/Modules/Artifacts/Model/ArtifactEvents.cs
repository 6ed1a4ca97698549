using LoraPipeline.Artifacts.Inspecting;
using LoraPipeline.Artifacts.Scoring;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Artifacts.Model;

/// <summary>Collection of a completed job's files began; the artifact's id derives from the job's.</summary>
public sealed record ArtifactCollectionStarted(Guid ArtifactId, Guid JobId, Guid UserId, Guid DatasetId, string DatasetName, string Name, string Version, DateTimeOffset At);

/// <summary>One file is in the lora-models bucket, with its checksum (so a resumed collection skips it).</summary>
public sealed record ArtifactFileStored(Guid ArtifactId, string FileName, long Size, string Sha256, string StoragePath, DateTimeOffset At);

/// <summary>An attempt failed; another follows at <paramref name="RetryAt"/> unless it is null.</summary>
public sealed record ArtifactCollectionAttemptFailed(Guid ArtifactId, int Attempt, string Reason, DateTimeOffset? RetryAt, DateTimeOffset At);

/// <summary>Collection gave up after its attempts; the files stored so far are kept.</summary>
public sealed record ArtifactCollectionFailed(Guid ArtifactId, string Reason, DateTimeOffset At);

/// <summary>Every file stored and inspected: the model, its scores and what its files say.</summary>
public sealed record ModelArtifactStored(
    Guid ArtifactId,
    QualityMetrics QualityMetrics,
    TrainingSummary TrainingSummary,
    ModelConfiguration Configuration,
    IReadOnlyList<ArtifactFile> Files,
    AdapterDescription Adapter,
    DateTimeOffset At);

public sealed record ModelArtifactRenamed(Guid ArtifactId, string Name, string? Description, DateTimeOffset At);

public sealed record ModelArtifactDeleted(Guid ArtifactId, DateTimeOffset At);

/// <summary>The user asked for the model's files (and its job's stored checkpoints) to be removed for real.</summary>
public sealed record ModelArtifactPurged(Guid ArtifactId, DateTimeOffset At);

/// <summary>Remove a purged model's files and its job's stored checkpoint copies (after the purge is committed; idempotent).</summary>
public sealed record RemoveModelFiles(Guid ArtifactId);

/// <summary>E05's training summary.</summary>
public sealed record TrainingSummary(int EpochsCompleted, int TotalSteps, double? FinalLoss, decimal TrainingDurationHours, decimal TotalCost);

/// <summary>E05's configuration: preset, hyperparameters, GPU.</summary>
public sealed record ModelConfiguration(string PresetId, Hyperparameters Hyperparameters, GpuConfig GpuConfig);

/// <summary>A stored file: name, size, checksum; a flag when it is not what it claims to be.</summary>
public sealed record ArtifactFile(string Name, long Size, string Sha256, string StoragePath, string? Description, string? FlaggedReason)
{
    public bool Flagged => FlaggedReason is not null;
}
