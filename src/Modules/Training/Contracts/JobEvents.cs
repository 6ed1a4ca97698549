namespace LoraPipeline.Training.Contracts;

// The PUBLISHED events of a training job's stream: facts other modules may react to (Billing's cost
// records and inbox, Artifacts' collection, webhooks). Their shape is a contract: fields are only ever
// added, never renamed or removed (Marten stores them by type name). The job's other events are
// internal to Training (Jobs/InternalJobEvents.cs).

/// <summary>The job was accepted and waits for submission. The first event of every job stream.</summary>
public sealed record TrainingJobQueued(
    Guid JobId,
    Guid UserId,
    Guid DatasetId,
    string DatasetName,
    string DatasetFormat,
    long DatasetTrainingPairs,
    string PresetId,
    Hyperparameters Hyperparameters,
    GpuConfig GpuConfig,
    int TotalSteps,
    decimal EstimatedTotalCost,
    decimal EstimatedDurationHours,
    string? IdempotencyKey,
    string RequestFingerprint,
    DateTimeOffset QueuedAt,
    long? DatasetTotalTokens = null,
    JobExtras? Extras = null);

/// <summary>
/// What a job carries besides its configuration (added with the OpenAI-compatible API, also on the native one):
/// a second dataset to validate on, a suffix for the model's name, a seed, and the caller's own metadata; and (issue 22)
/// an automatic validation split: the share of the training examples the cluster moves to validation, chosen with the seed.
/// </summary>
public sealed record JobExtras(
    Guid? ValidationDatasetId, string? Suffix, long? Seed, IReadOnlyDictionary<string, string>? Metadata, decimal? ValidationSplit = null)
{
    public static readonly JobExtras None = new(null, null, null, null);
}

/// <summary>GPU time starts counting: the job is running on <paramref name="NumGpus"/> x <paramref name="GpuType"/>.</summary>
public sealed record TrainingJobStarted(
    Guid JobId, DateTimeOffset StartedAt, DateTimeOffset EstimatedCompletionAt, decimal HourlyRate, string GpuType, int NumGpus);

/// <summary>Training finished; <paramref name="FinalCost"/> is fixed.</summary>
public sealed record TrainingJobCompleted(Guid JobId, DateTimeOffset CompletedAt, decimal FinalCost, GpuUsage Usage);

/// <summary>The job failed, with a reason a user can read; <paramref name="FinalCost"/> is fixed.</summary>
public sealed record TrainingJobFailed(Guid JobId, string Reason, DateTimeOffset FailedAt, decimal FinalCost, GpuUsage? Usage);

/// <summary>
/// The job was cancelled, by its user or by the budget's hard limit (<paramref name="Cause"/>; events recorded
/// before the field existed read as <see cref="JobCancelCause.User"/>); <paramref name="FinalCost"/> is fixed.
/// </summary>
public sealed record TrainingJobCancelled(
    Guid JobId, string Reason, DateTimeOffset CancelledAt, decimal FinalCost, GpuUsage? Usage, JobCancelCause Cause = JobCancelCause.User);

/// <summary>Who cancelled a job: what a reader of the event (the inbox, a webhook) says about it.</summary>
public enum JobCancelCause
{
    User,
    BudgetHardLimit,
}

/// <summary>One training metric point, as the cluster reports it.</summary>
public sealed record MetricPoint(
    int Step,
    int Epoch,
    double TrainingLoss,
    double? ValidationLoss,
    double LearningRate,
    double? GradientNorm,
    double? Throughput,
    double? GpuUtilization,
    DateTimeOffset Timestamp);

/// <summary>
/// The GPU time a job used: what a training_compute cost record bills. From a cluster that reports its own
/// accounting, <paramref name="GpuSeconds"/> and <paramref name="Attempts"/> say what each run used; without
/// them (older events, a v1 cluster) the time from start to end at the hourly rate was billed.
/// </summary>
public sealed record GpuUsage(
    string GpuType, int NumGpus, decimal HourlyRate, DateTimeOffset StartedAt, DateTimeOffset EndedAt,
    decimal? GpuSeconds = null, IReadOnlyList<AttemptUsage>? Attempts = null)
{
    /// <summary>Hours the job's GPUs were held: the cluster's GPU-seconds over the GPU count, or else the clock.</summary>
    public decimal DurationHours => GpuSeconds is { } seconds && NumGpus > 0
        ? seconds / NumGpus / 3600m
        : (decimal)(EndedAt - StartedAt).TotalSeconds / 3600m;
}

/// <summary>One run of a job on the cluster and what it cost: GPU-seconds at the price per GPU-hour, rounded to cents.</summary>
public sealed record AttemptUsage(int Attempt, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, decimal GpuSeconds, decimal Cost, string Outcome, int FromStep);

/// <summary>
/// The job was paused (by its user, or by the budget's hard limit when it pauses rather than cancels):
/// the cluster saves a checkpoint of <paramref name="Step"/> and releases the GPUs; it costs nothing more
/// until resumed. <paramref name="CostSoFar"/> is what it has used.
/// </summary>
public sealed record TrainingJobPaused(Guid JobId, int Attempt, int Step, decimal CostSoFar, string Reason, DateTimeOffset At);

/// <summary>
/// The cluster preempted the job or lost its node (attempt <paramref name="Attempt"/> ended); it waits to restart
/// from its latest checkpoint. <paramref name="RecoveryCount"/> is the recoveries so far including this one.
/// </summary>
public sealed record TrainingJobPreempted(Guid JobId, int Attempt, int RecoveryCount, int? CheckpointStep, string Reason, DateTimeOffset At);

/// <summary>The job runs again as attempt <paramref name="Attempt"/>, from step <paramref name="FromStep"/> (after a pause or a preemption).</summary>
public sealed record TrainingJobResumed(Guid JobId, int Attempt, int FromStep, bool AfterPreemption, DateTimeOffset At);
