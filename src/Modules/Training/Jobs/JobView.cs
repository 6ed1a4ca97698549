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
    decimal EstimatedComputeCost,
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
    decimal? ValidationSplit = null,
    JobTimingView? Timing = null)
{
    public bool IsActive => TrainingJob.IsActiveStatus(Status);

    public bool IsTerminal => !IsActive;

    /// <summary>
    /// The job as of <paramref name="now"/> when given: the cost of a job that has not ended accrues by the clock
    /// between the cluster's reports (<see cref="JobCost"/>); without it, as of its last event.
    /// </summary>
    public static JobView From(TrainingJob job) => From(job, null);

    /// <summary>
    /// <paramref name="recent"/> (its latest metric points) gives the job its live pace and time left (<see cref="JobTiming"/>);
    /// without them the timing has the elapsed and estimated times only.
    /// </summary>
    public static JobView From(TrainingJob job, DateTimeOffset? now, IReadOnlyList<JobMetricPoint>? recent = null)
    {
        var timing = JobTiming.For(job, now, recent);
        if (job.IsTerminal)
        {
            return Build(job, job.CurrentCost, job.FinalUsage, timing);
        }

        var reckoning = JobCost.At(job, now is { } n && n > job.UpdatedAt ? n : job.UpdatedAt);
        return Build(job, Math.Max(job.CurrentCost, reckoning.Total), reckoning.Usage, timing);
    }

    /// <summary>
    /// Progress by steps, what a user counts ("step 3 of 15" is 20%); a cluster's own figure weighs its fixed work
    /// (start-up, validations, the final save) by time, which for a small dataset leaves the steps a sliver of it.
    /// 100 once completed; the cluster's figure when the step count is unknown.
    /// </summary>
    public static decimal StepProgress(TrainingJob job) =>
        job.Status is JobStatus.Completed ? 100m
        : job.TotalSteps > 0 ? Math.Min(100m, Math.Round(100m * Math.Min(job.CurrentStep, job.TotalSteps) / job.TotalSteps, 1, MidpointRounding.ToZero))
        : job.Progress;

    private static JobView Build(TrainingJob job, decimal currentCost, GpuUsage? usage, JobTimingView timing) => new(
        job.Id,
        job.DatasetId,
        new JobDataset(job.DatasetId, job.DatasetName, job.DatasetFormat, job.DatasetTrainingPairs, job.DatasetTotalTokens),
        job.PresetId,
        job.Hyperparameters,
        job.GpuConfig,
        job.Status,
        job.CurrentStage,
        StepProgress(job),
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
        // what the job's own cost is compared with: its GPU time; the model's storage, the estimate's fixed last
        // line, is billed to the model (a cost record of its own) once it is stored
        Math.Max(0m, job.EstimatedTotalCost - Configuration.CostEstimator.StorageCost),
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
        job.Extras.ValidationSplit,
        timing);
}
