using LoraPipeline.Artifacts.Inspecting;
using LoraPipeline.Artifacts.Scoring;

namespace LoraPipeline.Artifacts.Model;

/// <summary>
/// A trained model on the wire (E01's model_artifacts, E05's fields): what users see of
/// <see cref="ModelArtifact"/>, without the stream version.
/// </summary>
public sealed record ModelView(
    Guid Id,
    Guid UserId,
    Guid JobId,
    Guid DatasetId,
    string DatasetName,
    string Name,
    string Version,
    string? Description,
    ArtifactStatus Status,
    QualityMetrics? QualityMetrics,
    TrainingSummary? TrainingSummary,
    ModelConfiguration? Configuration,
    AdapterDescription? Adapter,
    IReadOnlyList<ArtifactFile> Artifacts,
    long TotalSize,
    int CollectionAttempts,
    string? CollectionError,
    int QualityScore,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DeletedAt)
{
    /// <summary>The job's checkpoints (their adapters download from there too).</summary>
    public string CheckpointsUrl => $"/api/jobs/{JobId}/checkpoints";

    public static ModelView From(ModelArtifact m) => new(
        m.Id, m.UserId, m.JobId, m.DatasetId, m.DatasetName, m.Name, m.Version, m.Description, m.Status, m.QualityMetrics, m.TrainingSummary,
        m.Configuration, m.Adapter, m.Artifacts, m.TotalSize, m.CollectionAttempts, m.CollectionError, m.QualityScore, m.CreatedAt, m.UpdatedAt,
        m.DeletedAt);
}
