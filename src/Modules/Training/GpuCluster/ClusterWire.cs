using System.Text.Json.Serialization;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Training.GpuCluster;

// The GPU cluster's wire contract (spec E04/E05), as our client sends and reads it.

/// <summary>
/// The submit body. The optional fields (issue 22, left out when null) are the job's seed, its automatic validation
/// split (a share of the training examples the cluster moves to validation, chosen with the seed) and the maximum
/// sequence length the dataset was validated with (the estimate counts the tokens left after truncating there), and a
/// signed link to the job's validation dataset (issue 17's <c>validation_file</c>: all its examples are validation examples).
/// </summary>
public sealed record ClusterSubmitRequest(
    Guid JobId, string DatasetUrl, Hyperparameters Hyperparameters, GpuConfig GpuConfig, string? CallbackUrl,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Seed = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] decimal? ValidationSplit = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? MaxSeqLen = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ValidationDatasetUrl = null);

public sealed record ClusterSubmitResponse(string ExternalJobId, string? Status);

public sealed record ClusterMetricPoint(
    int Step, int Epoch, double TrainingLoss, double? ValidationLoss, double LearningRate,
    double? GradientNorm, double? Throughput, double? GpuUtilization, DateTimeOffset Timestamp)
{
    public MetricPoint ToMetricPoint() =>
        new(Step, Epoch, TrainingLoss, ValidationLoss, LearningRate, GradientNorm, Throughput, GpuUtilization, Timestamp);
}

/// <summary>
/// A job's state as the cluster reports it, from a poll or a callback (docs/cluster-contract.md). The v2 fields
/// (attempt, recovery count, GPU accounting, checkpoints) are null from a cluster that does not report them.
/// </summary>
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
    IReadOnlyList<ClusterMetricPoint>? MetricsHistory,
    int? Attempt = null,
    int? RecoveryCount = null,
    decimal? GpuSeconds = null,
    IReadOnlyList<ClusterAttempt>? Attempts = null,
    IReadOnlyList<ClusterCheckpoint>? Checkpoints = null);

/// <summary>One run of a job on the cluster: the first, and one more per restart after a preemption or a pause.</summary>
public sealed record ClusterAttempt(int Attempt, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, decimal GpuSeconds, string? Outcome, int FromStep);

/// <summary>A checkpoint the cluster keeps: its adapter is listed by the artifacts call with <c>?checkpoint=</c>.</summary>
public sealed record ClusterCheckpoint(int Step, int Epoch, DateTimeOffset CreatedAt, double? TrainingLoss, double? ValidationLoss, IReadOnlyList<string>? Files);

public sealed record ClusterArtifactFile(string Name, long Size, string Sha256, string DownloadUrl);

/// <summary>
/// A job's files: <c>files</c> with size and SHA-256, or only the spec's (E04/E05) <c>download_urls</c> by name and
/// <c>model_metadata</c>, whose optional <c>files</c> map gives sizes and SHA-256 (see <see cref="ClusterArtifactFiles"/>).
/// </summary>
public sealed record ClusterArtifacts(
    IReadOnlyList<ClusterArtifactFile>? Files,
    IReadOnlyDictionary<string, string>? DownloadUrls = null,
    System.Text.Json.JsonElement? ModelMetadata = null);

/// <summary>The answer to pause and resume.</summary>
public sealed record ClusterLifecycleAnswer(string? Status, int? Attempt, int? FromStep);

public sealed record ClusterError(string? Error);
