using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoraPipeline.GpuSimulator.Tests.Infrastructure;

public static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

public sealed record SubmitDto(string ExternalJobId, string Status);

public sealed record ErrorDto(string Error);

public sealed record MetricDto(
    int Step,
    int Epoch,
    double TrainingLoss,
    double? ValidationLoss,
    double LearningRate,
    double GradientNorm,
    double Throughput,
    double GpuUtilization,
    DateTimeOffset Timestamp);

public sealed record StatusDto(
    string ExternalJobId,
    string Status,
    string Stage,
    double Progress,
    int CurrentEpoch,
    int TotalEpochs,
    int CurrentStep,
    int TotalSteps,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? ErrorMessage,
    MetricDto? Metrics,
    List<MetricDto> MetricsHistory);

public sealed record AttemptDto(int Attempt, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, double GpuSeconds, string Outcome, int FromStep);

public sealed record CheckpointDto(int Step, int Epoch, DateTimeOffset CreatedAt, double TrainingLoss, double? ValidationLoss, List<string> Files);

/// <summary>The status document with the contract v2 fields (<see cref="StatusDto"/> is the v1 shape).</summary>
public sealed record StatusV2Dto(
    string ExternalJobId,
    string Status,
    string Stage,
    double Progress,
    int CurrentEpoch,
    int TotalEpochs,
    int CurrentStep,
    int TotalSteps,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? ErrorMessage,
    MetricDto? Metrics,
    List<MetricDto> MetricsHistory,
    int Attempt,
    int RecoveryCount,
    double GpuSeconds,
    List<AttemptDto> Attempts,
    List<CheckpointDto> Checkpoints)
{
    public bool IsTerminal => Status is "completed" or "failed" or "cancelled";
}

public sealed record ResumeDto(string Status, int Attempt, int FromStep);

public sealed record ArtifactFileDto(string Name, long Size, string Sha256, string DownloadUrl);

public sealed record ArtifactsDto(List<ArtifactFileDto> Files, Dictionary<string, string> DownloadUrls, Dictionary<string, JsonElement> ModelMetadata);

public static class TestData
{
    public const string TinyLlama = "TinyLlama/TinyLlama-1.1B-Chat-v1.0";
    public const string Mistral = "mistralai/Mistral-7B-v0.1";

    /// <summary>
    /// JSON Lines with <paramref name="train"/> training and <paramref name="validation"/> validation examples of
    /// about <paramref name="lineBytes"/> bytes each, plus a blank line and two lines that must not count.
    /// </summary>
    public static byte[] Dataset(int train, int validation, int lineBytes = 1000)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < train + validation; i++)
        {
            var split = i < train ? "train" : "validation";
            var prefix = $"{{\"split\":\"{split}\",\"messages\":[{{\"role\":\"user\",\"content\":\"question {i}\"}},{{\"role\":\"assistant\",\"content\":\"";
            const string suffix = "\"}]}";
            var filler = Math.Max(1, lineBytes - prefix.Length - suffix.Length - 1);
            builder.Append(prefix).Append('x', filler).Append(suffix).Append('\n');
            if (i == 3)
            {
                builder.Append('\n').Append("   \n").Append("not json at all\n").Append("[1,2,3]\n");
            }
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    public static object Submission(
        Guid jobId,
        string datasetUrl,
        string baseModel = TinyLlama,
        int batchSize = 4,
        int epochs = 3,
        int rank = 8,
        double alpha = 16,
        string gpuType = "A100-80GB",
        int numGpus = 1,
        string? callbackUrl = null,
        int? warmupSteps = null,
        double learningRate = 2e-4) => new
        {
            job_id = jobId,
            dataset_url = datasetUrl,
            hyperparameters = new
            {
                base_model = baseModel,
                learning_rate = learningRate,
                batch_size = batchSize,
                num_epochs = epochs,
                lora_rank = rank,
                lora_alpha = alpha,
                lora_dropout = 0.05,
                warmup_steps = warmupSteps,
                weight_decay = 0.01,
            },
            gpu_config = new
            {
                gpu_type = gpuType,
                num_gpus = numGpus,
                gpu_memory_gb = 80,
                cost_per_gpu_hour = 3.5,
            },
            callback_url = callbackUrl,
        };

    /// <summary>Publishes a standard dataset (200 train / 20 validation examples) on the host and returns a submission for it.</summary>
    public static (Guid JobId, object Body) StandardJob(SimulatorTestHost host, int epochs = 3, string baseModel = TinyLlama, int rank = 8, string? callbackUrl = null)
    {
        var jobId = Guid.NewGuid();
        var url = host.PublishDataset($"ds-{jobId:N}.jsonl", Dataset(200, 20));
        return (jobId, Submission(jobId, url, baseModel: baseModel, epochs: epochs, rank: rank, callbackUrl: callbackUrl));
    }
}
