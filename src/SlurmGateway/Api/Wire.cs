using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoraPipeline.SlurmGateway.Api;

/// <summary>The cluster contract's JSON (docs/cluster-contract.md): snake_case, nulls left out.</summary>
internal static class WireJson
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

internal sealed record SubmitRequest
{
    public Guid? JobId { get; init; }
    public string? DatasetUrl { get; init; }
    public Hyperparameters? Hyperparameters { get; init; }
    public GpuConfig? GpuConfig { get; init; }
    public string? CallbackUrl { get; init; }

    /// <summary>Optional: the job's seed (data order, validation split); the trainer's default without it.</summary>
    public long? Seed { get; init; }

    /// <summary>Optional: the share of training examples the trainer holds out as validation (0.01 to 0.5).</summary>
    public double? ValidationSplit { get; init; }

    /// <summary>Optional: the maximum sequence length the platform validated the dataset with.</summary>
    public int? MaxSeqLen { get; init; }

    /// <summary>Optional: a signed link to the job's validation dataset; the trainer evaluates on all its examples.</summary>
    public string? ValidationDatasetUrl { get; init; }
}

internal sealed record Hyperparameters
{
    public string? BaseModel { get; init; }
    public double LearningRate { get; init; }
    public int BatchSize { get; init; }
    public int NumEpochs { get; init; }
    public int LoraRank { get; init; }
    public double LoraAlpha { get; init; }
    public double LoraDropout { get; init; }
    public int? WarmupSteps { get; init; }
    public double? WeightDecay { get; init; }
}

internal sealed record GpuConfig
{
    public string? GpuType { get; init; }
    public int NumGpus { get; init; }
    public double GpuMemoryGb { get; init; }
    public double CostPerGpuHour { get; init; }
}

internal sealed record SubmitResponse(string ExternalJobId, string Status);

internal sealed record ErrorResponse(string Error);

internal sealed record StatusOnly(string Status);

internal sealed record ResumeResponse(string Status, int Attempt, int FromStep);

internal sealed record MetricPoint
{
    public int Step { get; init; }
    public int Epoch { get; init; }
    public double TrainingLoss { get; init; }
    public double? ValidationLoss { get; init; }
    public double LearningRate { get; init; }
    public double GradientNorm { get; init; }
    public double Throughput { get; init; }
    public double GpuUtilization { get; init; }
    public DateTimeOffset Timestamp { get; init; }
}

internal sealed record StatusResponse
{
    public required string ExternalJobId { get; init; }
    public required string Status { get; init; }
    public required string Stage { get; init; }
    public double Progress { get; init; }
    public int CurrentEpoch { get; init; }
    public int TotalEpochs { get; init; }
    public int CurrentStep { get; init; }
    public int TotalSteps { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public string? ErrorMessage { get; init; }

    /// <summary>Why Slurm keeps a queued job waiting (Resources, Priority, Dependency...): not in the contract, for people.</summary>
    public string? QueueReason { get; init; }

    public double? EstimatedTimeRemainingSeconds { get; init; }
    public MetricPoint? Metrics { get; init; }
    public required IReadOnlyList<MetricPoint> MetricsHistory { get; init; }
    public int Attempt { get; init; }
    public int RecoveryCount { get; init; }
    public double GpuSeconds { get; init; }
    public required IReadOnlyList<AttemptInfo> Attempts { get; init; }
    public required IReadOnlyList<CheckpointInfo> Checkpoints { get; init; }
}

internal sealed record AttemptInfo(int Attempt, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, double GpuSeconds, string Outcome, int FromStep);

internal sealed record CheckpointInfo(int Step, int Epoch, DateTimeOffset CreatedAt, double TrainingLoss, double? ValidationLoss, IReadOnlyList<string> Files);

internal sealed record ArtifactFileInfo(string Name, long Size, string Sha256, string DownloadUrl);

internal sealed record ArtifactsResponse(
    IReadOnlyList<ArtifactFileInfo> Files,
    IReadOnlyDictionary<string, string> DownloadUrls,
    IReadOnlyDictionary<string, object?> ModelMetadata);
