using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Training.Jobs;

// The INTERNAL events of a training job's stream: how Training tracks submission, polling and metrics.
// They are the job's audit history (GET /api/jobs/{id}/events) like the published ones, but no other
// module may read them (the architecture test holds Billing and Artifacts to Contracts). Facts in past
// tense, never renamed (Marten stores them by type name).

/// <summary>Submission to the GPU cluster began.</summary>
public sealed record TrainingJobInitializing(Guid JobId, DateTimeOffset At);

/// <summary>A submission attempt failed; another follows at <paramref name="RetryAt"/> unless it is null.</summary>
public sealed record TrainingJobSubmissionFailed(Guid JobId, int Attempt, string Error, DateTimeOffset? RetryAt, DateTimeOffset At);

/// <summary>The cluster accepted the job under its own id.</summary>
public sealed record TrainingJobSubmitted(Guid JobId, string ExternalJobId, DateTimeOffset At);

/// <summary>
/// What a poll or a push of the cluster reported: stage, progress, epoch, step and the cost so far.
/// <paramref name="PollNumber"/> is the poll that recorded it (null for a push); it links the
/// chain of scheduled polls so that each poll runs once.
/// </summary>
public sealed record TrainingProgressRecorded(
    Guid JobId, string Stage, decimal Progress, int CurrentEpoch, int CurrentStep, decimal CurrentCost, int? PollNumber, DateTimeOffset At,
    ReportedUsage? Usage = null);

/// <summary>
/// The cluster's own GPU accounting at <paramref name="At"/> (v2 clusters): the current attempt, the recoveries,
/// GPU-seconds summed over attempts and each attempt's share.
/// </summary>
public sealed record ReportedUsage(int Attempt, int RecoveryCount, decimal GpuSeconds, IReadOnlyList<ClusterAttemptUsage> Attempts, DateTimeOffset At);

/// <summary>One attempt as the cluster accounts for it.</summary>
public sealed record ClusterAttemptUsage(int Attempt, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, decimal GpuSeconds, string Outcome, int FromStep);

/// <summary>The cluster saved a checkpoint (v2 clusters); its adapter can be downloaded (Artifacts collects it on request).</summary>
public sealed record TrainingCheckpointRecorded(
    Guid JobId, int Step, int Epoch, DateTimeOffset CreatedAt, double? TrainingLoss, double? ValidationLoss, int Attempt, IReadOnlyList<string> Files);

/// <summary>The user asked to resume a paused job; the cluster is told (through the outbox) to restart it from its checkpoint.</summary>
public sealed record TrainingJobResumeRequested(Guid JobId, DateTimeOffset At);

/// <summary>New metric points, each step at most once per job.</summary>
public sealed record TrainingMetricsRecorded(Guid JobId, IReadOnlyList<MetricPoint> Points);

/// <summary>A poll could not get the job's status; the job fails after too many in a row.</summary>
public sealed record ClusterStatusCheckFailed(Guid JobId, int PollNumber, int ConsecutiveFailures, string Error, DateTimeOffset At);

/// <summary>The trained adapter was stored as model <paramref name="ArtifactId"/>.</summary>
public sealed record ArtifactLinked(Guid JobId, Guid ArtifactId, DateTimeOffset At);

/// <summary>
/// The cluster was asked to stop the job's work there (after a cancel, a failure it may not know of, or a cluster job
/// found for a submission given up): pending until it confirms, and asked again by the job watch until it does.
/// </summary>
public sealed record ClusterCancelRequested(Guid JobId, string ExternalJobId, DateTimeOffset At);

/// <summary>The cluster confirmed the job's work there is stopped (or it had none left to stop).</summary>
public sealed record ClusterCancelConfirmed(Guid JobId, string ExternalJobId, DateTimeOffset At);
