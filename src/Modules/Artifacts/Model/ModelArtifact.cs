using LoraPipeline.Artifacts.Inspecting;
using LoraPipeline.Artifacts.Scoring;
using LoraPipeline.Platform.Storage;
using Marten.Schema;

namespace LoraPipeline.Artifacts.Model;

public enum ArtifactStatus
{
    Collecting,
    Stored,
    Flagged,
    Failed,
}

/// <summary>A trained model (E01's model_artifacts), built inline from the artifact's stream.</summary>
public sealed class ModelArtifact
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public Guid JobId { get; set; }
    public Guid DatasetId { get; set; }
    public string DatasetName { get; set; } = "";
    public string Name { get; set; } = "";
    public string Version { get; set; } = "1.0.0";
    public string? Description { get; set; }
    public ArtifactStatus Status { get; set; }
    public QualityMetrics? QualityMetrics { get; set; }
    public TrainingSummary? TrainingSummary { get; set; }
    public ModelConfiguration? Configuration { get; set; }
    public AdapterDescription? Adapter { get; set; }

    /// <summary>Files stored, by name (E01's artifacts).</summary>
    public List<ArtifactFile> Artifacts { get; set; } = [];
    public long TotalSize { get; set; }

    public int CollectionAttempts { get; set; }
    public string? CollectionError { get; set; }

    /// <summary>For sorting by quality: the overall score, 0 until scored.</summary>
    public int QualityScore { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }

    /// <summary>When its files were removed for real (DELETE ?purge=true); the record stays for the bills' history.</summary>
    public DateTimeOffset? PurgedAt { get; set; }

    /// <summary>The stream's version (Version is the model's own, E05's "1.0.0").</summary>
    [Version]
    public long StreamVersion { get; set; }

    public static string FilePath(Guid userId, Guid jobId, string fileName) => $"{userId}/{jobId}/{fileName}";

    public static BlobLocation Location(ArtifactFile file) => new(Buckets.Models, file.StoragePath);
}
