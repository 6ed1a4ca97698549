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
}

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
    public string RequestFingerprint { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    [Version]
    public long Version { get; set; }

    public bool IsActive => IsActiveStatus(Status);

    /// <summary>Queued, initializing or running: the job has not ended.</summary>
    public static bool IsActiveStatus(JobStatus status) => status is JobStatus.Queued or JobStatus.Initializing or JobStatus.Running;

    public bool IsTerminal => !IsActive;

    /// <summary>Queued, initializing or running: a job that uses its dataset and will still cost something.</summary>
    public static readonly Expression<Func<TrainingJob, bool>> IsUnfinished =
        j => j.Status == JobStatus.Queued || j.Status == JobStatus.Initializing || j.Status == JobStatus.Running;

    /// <summary>GPU time counts from the start: rate x hours, rounded to cents.</summary>
    public decimal CostAt(DateTimeOffset now) =>
        StartedAt is { } started && now > started
            ? Money.Cents(HourlyRate * (decimal)(now - started).TotalSeconds / 3600m)
            : 0m;

    public GpuUsage? UsageUntil(DateTimeOffset end) =>
        StartedAt is { } started ? new GpuUsage(GpuConfig.GpuType, GpuConfig.NumGpus, HourlyRate, started, end < started ? started : end) : null;
}
