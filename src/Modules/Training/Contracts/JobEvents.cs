namespace LoraPipeline.Training.Contracts;

// The event catalogue of a training job's stream. Each job is one stream; its events are its
// audit history (GET /api/jobs/{id}/events) and the source of the job view, the cost records and
// the notification inbox. Facts in past tense, never renamed (Marten stores their type names).

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
    DateTimeOffset QueuedAt);

/// <summary>Submission to the GPU cluster began.</summary>
public sealed record TrainingJobInitializing(Guid JobId, DateTimeOffset At);

/// <summary>A submission attempt failed; another follows at <paramref name="RetryAt"/> unless it is null.</summary>
public sealed record TrainingJobSubmissionFailed(Guid JobId, int Attempt, string Error, DateTimeOffset? RetryAt, DateTimeOffset At);

/// <summary>The cluster accepted the job under its own id.</summary>
public sealed record TrainingJobSubmitted(Guid JobId, string ExternalJobId, DateTimeOffset At);

/// <summary>GPU time starts counting: the job is running on <paramref name="NumGpus"/> x <paramref name="GpuType"/>.</summary>
public sealed record TrainingJobStarted(
    Guid JobId, DateTimeOffset StartedAt, DateTimeOffset EstimatedCompletionAt, decimal HourlyRate, string GpuType, int NumGpus);

/// <summary>
/// What a poll or a push of the cluster reported: stage, progress, epoch, step and the cost so far.
/// <paramref name="PollNumber"/> is the poll that recorded it (null for a push); it links the
/// chain of scheduled polls so that each poll runs once.
/// </summary>
public sealed record TrainingProgressRecorded(
    Guid JobId, string Stage, decimal Progress, int CurrentEpoch, int CurrentStep, decimal CurrentCost, int? PollNumber, DateTimeOffset At);

/// <summary>New metric points, each step at most once per job.</summary>
public sealed record TrainingMetricsRecorded(Guid JobId, IReadOnlyList<MetricPoint> Points);

/// <summary>A poll could not get the job's status; the job fails after too many in a row.</summary>
public sealed record ClusterStatusCheckFailed(Guid JobId, int PollNumber, int ConsecutiveFailures, string Error, DateTimeOffset At);

/// <summary>Training finished; <paramref name="FinalCost"/> is fixed.</summary>
public sealed record TrainingJobCompleted(Guid JobId, DateTimeOffset CompletedAt, decimal FinalCost, GpuUsage Usage);

/// <summary>The job failed, with a reason a user can read; <paramref name="FinalCost"/> is fixed.</summary>
public sealed record TrainingJobFailed(Guid JobId, string Reason, DateTimeOffset FailedAt, decimal FinalCost, GpuUsage? Usage);

/// <summary>The job was cancelled (by its user, or by the budget's hard limit); <paramref name="FinalCost"/> is fixed.</summary>
public sealed record TrainingJobCancelled(Guid JobId, string Reason, DateTimeOffset CancelledAt, decimal FinalCost, GpuUsage? Usage);

/// <summary>The trained adapter was stored as model <paramref name="ArtifactId"/>.</summary>
public sealed record ArtifactLinked(Guid JobId, Guid ArtifactId, DateTimeOffset At);

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

/// <summary>The GPU time a job used: what a training_compute cost record bills.</summary>
public sealed record GpuUsage(string GpuType, int NumGpus, decimal HourlyRate, DateTimeOffset StartedAt, DateTimeOffset EndedAt)
{
    public decimal DurationHours => (decimal)(EndedAt - StartedAt).TotalSeconds / 3600m;
}
