using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Training.GpuCluster;

// The GPU cluster's wire contract (spec E04/E05), as our client sends and reads it.

public sealed record ClusterSubmitRequest(
    Guid JobId, string DatasetUrl, Hyperparameters Hyperparameters, GpuConfig GpuConfig, string? CallbackUrl);

public sealed record ClusterSubmitResponse(string ExternalJobId, string? Status);

public sealed record ClusterMetricPoint(
    int Step, int Epoch, double TrainingLoss, double? ValidationLoss, double LearningRate,
    double? GradientNorm, double? Throughput, double? GpuUtilization, DateTimeOffset Timestamp)
{
    public MetricPoint ToMetricPoint() =>
        new(Step, Epoch, TrainingLoss, ValidationLoss, LearningRate, GradientNorm, Throughput, GpuUtilization, Timestamp);
}

/// <summary>A job's state as the cluster reports it, from a poll or a callback.</summary>
public sealed record ClusterJobStatus(
    string ExternalJobId,
    string Status,
    string? Stage,
    decimal Progress,
    int CurrentEpoch,
    int TotalEpochs,
    int CurrentStep,
    int TotalSteps,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? ErrorMessage,
    ClusterMetricPoint? Metrics,
    IReadOnlyList<ClusterMetricPoint>? MetricsHistory);

public sealed record ClusterArtifactFile(string Name, long Size, string Sha256, string DownloadUrl);

public sealed record ClusterArtifacts(IReadOnlyList<ClusterArtifactFile> Files);

public sealed record ClusterError(string? Error);
