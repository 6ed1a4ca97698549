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
    int Attempt,
    int RecoveryCount,
    decimal? GpuSeconds,
    IReadOnlyList<AttemptUsage>? Attempts,
    int CheckpointCount,
    string? ClusterCancel,
    string? ExternalJobId,
    Guid? ArtifactId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    Guid? ValidationDatasetId = null,
    string? Suffix = null,
    long? Seed = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    decimal? ValidationSplit = null)
{
    public bool IsActive => TrainingJob.IsActiveStatus(Status);

    public bool IsTerminal => !IsActive;

    /// <summary>
    /// The job as of <paramref name="now"/> when given: the cost of a job that has not ended accrues by the clock
    /// between the cluster's reports (<see cref="JobCost"/>); without it, as of its last event.
    /// </summary>
    public static JobView From(TrainingJob job) => From(job, null);

    public static JobView From(TrainingJob job, DateTimeOffset? now)
    {
        if (job.IsTerminal)
        {
            return Build(job, job.CurrentCost, job.FinalUsage);
        }

        var reckoning = JobCost.At(job, now is { } n && n > job.UpdatedAt ? n : job.UpdatedAt);
        return Build(job, Math.Max(job.CurrentCost, reckoning.Total), reckoning.Usage);
    }

    private static JobView Build(TrainingJob job, decimal currentCost, GpuUsage? usage) => new(
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
        currentCost,
        job.EstimatedTotalCost,
        job.EstimatedDurationHours,
        job.FinalCost,
        job.HourlyRate,
        job.ErrorMessage,
        job.RetryCount,
        job.Attempt,
        job.RecoveryCount,
        usage?.GpuSeconds,
        usage?.Attempts,
        job.Checkpoints.Count,
        job.ClusterCancelPendingSince is not null ? "pending" : job.ClusterCancelConfirmed ? "confirmed" : null,
        job.ExternalJobId,
        job.ArtifactId,
        job.CreatedAt,
        job.UpdatedAt,
        job.Extras.ValidationDatasetId,
        job.Extras.Suffix,
        job.Extras.Seed,
        job.Extras.Metadata ?? new Dictionary<string, string>(),
        job.Extras.ValidationSplit);
}
