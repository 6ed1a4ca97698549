using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Training.Jobs;

/// <summary>The job's dataset as the job shows it (E04's nested dataset), as it was when the job was queued.</summary>
public sealed record JobDataset(Guid Id, string Name, string Format, long TotalTrainingPairs, long? TotalTokens);

/// <summary>
/// A training job on the wire (E01's training_jobs fields with E04's nested dataset): what users see of
/// <see cref="TrainingJob"/>, without the bookkeeping Training keeps for itself (poll and submission chain
/// numbers, the idempotency key and request fingerprint, the stream version).
/// </summary>
public sealed record JobView(
    Guid Id,
    Guid DatasetId,
    JobDataset Dataset,
    string PresetId,
    Hyperparameters Hyperparameters,
    GpuConfig GpuConfig,
    JobStatus Status,
    string CurrentStage,
    decimal Progress,
    int CurrentEpoch,
    int TotalEpochs,
    int CurrentStep,
    int TotalSteps,
    CurrentMetrics? CurrentMetrics,
    DateTimeOffset QueuedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset? EstimatedCompletionAt,
    decimal CurrentCost,
    decimal EstimatedTotalCost,
    decimal EstimatedDurationHours,
    decimal? FinalCost,
    decimal HourlyRate,
    string? ErrorMessage,
    int RetryCount,
    string? ExternalJobId,
    Guid? ArtifactId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public bool IsActive => TrainingJob.IsActiveStatus(Status);

    public bool IsTerminal => !IsActive;

    public static JobView From(TrainingJob job) => new(
        job.Id,
        job.DatasetId,
        new JobDataset(job.DatasetId, job.DatasetName, job.DatasetFormat, job.DatasetTrainingPairs, job.DatasetTotalTokens),
        job.PresetId,
        job.Hyperparameters,
        job.GpuConfig,
        job.Status,
        job.CurrentStage,
        job.Progress,
        job.CurrentEpoch,
        job.TotalEpochs,
        job.CurrentStep,
        job.TotalSteps,
        job.CurrentMetrics,
        job.QueuedAt,
        job.StartedAt,
        job.CompletedAt,
        job.EstimatedCompletionAt,
        job.CurrentCost,
        job.EstimatedTotalCost,
        job.EstimatedDurationHours,
        job.FinalCost,
        job.HourlyRate,
        job.ErrorMessage,
        job.RetryCount,
        job.ExternalJobId,
        job.ArtifactId,
        job.CreatedAt,
        job.UpdatedAt);
}
