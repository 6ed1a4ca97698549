using System.Linq.Expressions;
using LoraPipeline.Platform;
using LoraPipeline.Training.Contracts;
using Marten.Schema;

namespace LoraPipeline.Training.Jobs;

public enum JobStatus
{
    Queued,
    Initializing,
    Running,
    Completed,
    Failed,
    Cancelled,

    /// <summary>Stopped at the user's request (or the budget's) after a checkpoint; costs nothing until resumed.</summary>
    Paused,

    /// <summary>Preempted or its node lost: waiting to restart from its latest checkpoint.</summary>
    Recovering,
}

public static class JobStatuses
{
    /// <summary>A status as the API writes it (snake_case).</summary>
    public static string Name(JobStatus status) => status.ToString().ToLowerInvariant();
}

/// <summary>A checkpoint of a job as the job shows it.</summary>
public sealed record JobCheckpoint(int Step, int Epoch, DateTimeOffset CreatedAt, double? TrainingLoss, double? ValidationLoss, int Attempt, IReadOnlyList<string> Files);

/// <summary>The latest metrics of a running job (E01's current_metrics).</summary>
public sealed record CurrentMetrics(
    double TrainingLoss, double? ValidationLoss, double LearningRate, double? Throughput, double? GpuUtilization, double? GradientNorm);

/// <summary>
/// A training job's state, built inline from the job's stream by <see cref="TrainingJobProjection"/>: what
/// this module's decisions read (with the chain bookkeeping of polls and submissions and the stream
/// version for optimistic concurrency) and what <see cref="JobView"/> shows users.
/// </summary>
public sealed class TrainingJob
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public Guid DatasetId { get; set; }
    public string DatasetName { get; set; } = "";
    public string DatasetFormat { get; set; } = "";
    public long DatasetTrainingPairs { get; set; }
    public long? DatasetTotalTokens { get; set; }
    public string PresetId { get; set; } = "";
    public Hyperparameters Hyperparameters { get; set; } = null!;
    public GpuConfig GpuConfig { get; set; } = null!;

    public JobStatus Status { get; set; }
    public string CurrentStage { get; set; } = "queued";
    public decimal Progress { get; set; }
    public int CurrentEpoch { get; set; }
    public int TotalEpochs { get; set; }
    public int CurrentStep { get; set; }
    public int TotalSteps { get; set; }
    public CurrentMetrics? CurrentMetrics { get; set; }

    public DateTimeOffset QueuedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public DateTimeOffset? EstimatedCompletionAt { get; set; }

    public decimal CurrentCost { get; set; }
    public decimal EstimatedTotalCost { get; set; }
    public decimal EstimatedDurationHours { get; set; }
    public decimal? FinalCost { get; set; }
    public decimal HourlyRate { get; set; }

    public string? ErrorMessage { get; set; }
    public int RetryCount { get; set; }

    /// <summary>The run on the cluster: 1, then one more per restart after a pause or a preemption.</summary>
    public int Attempt { get; set; } = 1;

    /// <summary>The highest step the current attempt has reported: a report of this attempt below it is older than what is shown.</summary>
    public int AttemptStep { get; set; }

    /// <summary>Restarts after a preemption (or a lost node) so far.</summary>
    public int RecoveryCount { get; set; }

    /// <summary>The cluster's GPU accounting of its last report, or null from a cluster that does not report any.</summary>
    public ReportedUsage? ReportedUsage { get; set; }

    /// <summary>What the job's GPUs used, as fixed by its ending (the final cost's reckoning).</summary>
    public GpuUsage? FinalUsage { get; set; }

    public List<JobCheckpoint> Checkpoints { get; set; } = [];

    /// <summary>When the cluster was asked to stop this job's work, while it has not confirmed; null otherwise.</summary>
    public DateTimeOffset? ClusterCancelPendingSince { get; set; }

    /// <summary>The cluster job to stop: the job's own, or one found for a submission given up.</summary>
    public string? ClusterCancelTarget { get; set; }

    public bool ClusterCancelConfirmed { get; set; }

    /// <summary>The last time the cluster's status was read (a poll's answer or a push): a job unreadable for too long fails.</summary>
    public DateTimeOffset? LastStatusReadAt { get; set; }
    public string? ExternalJobId { get; set; }
    public Guid? ArtifactId { get; set; }

    /// <summary>The poll that last reported; the scheduled poll numbered one more is the only one that runs.</summary>
    public int LastPollNumber { get; set; }

    /// <summary>When the last poll was recorded (the start, before the first): what the poll watch looks at.</summary>
    public DateTimeOffset? LastPolledAt { get; set; }
    public int ConsecutiveStatusFailures { get; set; }
    public int LastMetricStep { get; set; } = -1;

    /// <summary>Whether the last recorded point already has its validation loss (an epoch's last step gets it late).</summary>
    public bool LastMetricValidated { get; set; }
    public string? IdempotencyKey { get; set; }

    /// <summary>Validation dataset, suffix, seed and metadata; <see cref="JobExtras.None"/> for jobs queued before they existed.</summary>
    public JobExtras Extras { get; set; } = JobExtras.None;
    public string RequestFingerprint { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    [Version]
    public long Version { get; set; }

    public bool IsActive => IsActiveStatus(Status);

    /// <summary>Not ended: queued, initializing, running, paused or recovering.</summary>
    public static bool IsActiveStatus(JobStatus status) => status is not (JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled);

    public bool IsTerminal => !IsActive;

    /// <summary>Whether GPU time is accruing now (not paused, not waiting to recover).</summary>
    public bool IsUsingGpus => Status is JobStatus.Running && StartedAt is not null;

    /// <summary>Not ended: a job that uses its dataset and may still cost something.</summary>
    public static readonly Expression<Func<TrainingJob, bool>> IsUnfinished =
        j => j.Status == JobStatus.Queued || j.Status == JobStatus.Initializing || j.Status == JobStatus.Running
             || j.Status == JobStatus.Paused || j.Status == JobStatus.Recovering;

    /// <summary>What the job has cost by <paramref name="now"/>: see <see cref="JobCost"/>.</summary>
    public decimal CostAt(DateTimeOffset now) => JobCost.At(this, now).Total;

    public GpuUsage? UsageUntil(DateTimeOffset end) => JobCost.At(this, end).Usage;
}
