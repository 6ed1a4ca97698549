using JasperFx.Events;
using LoraPipeline.Artifacts.Collecting;
using LoraPipeline.Artifacts.Contracts;
using Marten.Events.Aggregation;

namespace LoraPipeline.Artifacts.Model;

public sealed partial class ModelArtifactProjection : SingleStreamProjection<ModelArtifact, Guid>
{
    public ModelArtifact Create(ArtifactCollectionStarted e, IEvent meta) => new()
    {
        Id = e.ArtifactId,
        UserId = e.UserId,
        JobId = e.JobId,
        DatasetId = e.DatasetId,
        DatasetName = e.DatasetName,
        Name = e.Name,
        Version = e.Version,
        Status = ArtifactStatus.Collecting,
        CreatedAt = e.At,
        UpdatedAt = meta.Timestamp,
    };

    public void Apply(ArtifactFileStored e, ModelArtifact model)
    {
        model.Artifacts.RemoveAll(f => f.Name == e.FileName);
        model.Artifacts.Add(new ArtifactFile(e.FileName, e.Size, e.Sha256, e.StoragePath, null, null));
        model.TotalSize = model.Artifacts.Sum(f => f.Size);
        model.UpdatedAt = e.At;
    }

    public void Apply(ArtifactCollectionAttemptFailed e, ModelArtifact model)
    {
        model.CollectionAttempts = e.Attempt;
        model.CollectionError = e.Reason;
        model.UpdatedAt = e.At;
    }

    public void Apply(ArtifactCollectionFailed e, ModelArtifact model)
    {
        model.Status = ArtifactStatus.Failed;
        model.CollectionError = e.Reason;
        model.UpdatedAt = e.At;
    }

    public void Apply(ArtifactCollectionRestarted e, ModelArtifact model)
    {
        model.Status = ArtifactStatus.Collecting;
        model.CollectionAttempts = 0;
        model.CollectionError = null;
        model.UpdatedAt = e.At;
    }

    public void Apply(ModelArtifactStored e, ModelArtifact model)
    {
        model.QualityMetrics = e.QualityMetrics;
        model.QualityScore = e.QualityMetrics.OverallScore;
        model.TrainingSummary = e.TrainingSummary;
        model.Configuration = e.Configuration;
        model.Adapter = e.Adapter;
        model.Artifacts = e.Files.ToList();
        model.TotalSize = e.Files.Sum(f => f.Size);
        // no weights at all is as suspicious as a flagged file
        model.Status = e.Files.Any(f => f.Flagged) || e.Adapter.TensorCount == 0 ? ArtifactStatus.Flagged : ArtifactStatus.Stored;
        model.CollectionError = null;
        model.UpdatedAt = e.At;
    }

    public void Apply(ArtifactReady e, ModelArtifact model) => model.UpdatedAt = e.At;

    public void Apply(ModelArtifactRenamed e, ModelArtifact model)
    {
        model.Name = e.Name;
        model.Description = e.Description;
        model.UpdatedAt = e.At;
    }

    public void Apply(ModelArtifactDeleted e, ModelArtifact model)
    {
        model.DeletedAt = e.At;
        model.UpdatedAt = e.At;
    }

    public void Apply(ModelArtifactPurged e, ModelArtifact model)
    {
        model.PurgedAt = e.At;
        model.UpdatedAt = e.At;
    }
}
