using System.Text.Json;

namespace LoraPipeline.Cli.Api;

public sealed record Hyperparameters(
    string? BaseModel, decimal? LearningRate, int? BatchSize, int? NumEpochs, int? LoraRank, int? LoraAlpha,
    decimal? LoraDropout, int? WarmupSteps, decimal? WeightDecay);

public sealed record Preset(string Id, string Name, string? Description, Hyperparameters Hyperparameters);

public sealed record PresetList(IReadOnlyList<Preset> Presets, IReadOnlyList<string>? BaseModels);

public sealed record GpuType(string Id, string? Name, decimal PricePerGpuHour, int? ThroughputTokensPerSecond, int? MemoryGb);

public sealed record GpuList(IReadOnlyList<GpuType> Gpus);

public sealed record CostBreakdown(decimal Compute, decimal Storage);

public sealed record TrainingDetails(int TotalSteps, int StepsPerEpoch, int? EstimatedThroughputTokensPerSec, string? DatasetName);

/// <summary>
/// <c>POST /api/jobs/estimate</c>. <c>allowed_to_proceed</c>, <c>proceed_blocked_reason</c> and
/// <c>budget_remaining</c> are newer fields: a server without them allows (see <see cref="MayProceed"/>).
/// </summary>
public sealed record Estimate(
    decimal EstimatedCost, CostBreakdown? CostBreakdown, decimal EstimatedDurationHours, decimal HourlyRate, TrainingDetails? TrainingDetails,
    bool? AllowedToProceed, string? ProceedBlockedReason, decimal? BudgetRemaining)
{
    public bool MayProceed => AllowedToProceed ?? true;
}

public sealed record GpuConfig(string GpuType, int NumGpus, int? GpuMemoryGb, decimal? CostPerGpuHour);

public sealed record CurrentMetrics(double TrainingLoss, double? ValidationLoss, double LearningRate, double? Throughput, double? GpuUtilization, double? GradientNorm);

/// <summary>The nested dataset a newer server gives a job (beside or instead of the flat dataset_name).</summary>
public sealed record JobDataset(Guid? Id, string? Name, string? Format, long? TotalTrainingPairs, long? TotalTokens);

/// <summary>A training job (E01's fields). Statuses: queued, initializing, running, paused, recovering, completed, failed, cancelled.</summary>
public sealed record Job(
    Guid Id, Guid DatasetId, string? DatasetName, JobDataset? Dataset, string? PresetId, Hyperparameters? Hyperparameters, GpuConfig? GpuConfig,
    string Status, string? CurrentStage, decimal Progress, int CurrentEpoch, int TotalEpochs, int CurrentStep, int TotalSteps,
    CurrentMetrics? CurrentMetrics, DateTimeOffset? QueuedAt, DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt,
    DateTimeOffset? EstimatedCompletionAt, decimal? CurrentCost, decimal? EstimatedTotalCost, decimal? EstimatedComputeCost, decimal? EstimatedDurationHours,
    decimal? FinalCost, decimal? HourlyRate, string? ErrorMessage, int RetryCount, int? RecoveryCount, int? Attempt, Guid? ArtifactId,
    DateTimeOffset CreatedAt)
{
    public string DisplayDatasetName => Dataset?.Name ?? DatasetName ?? DatasetId.ToString();

    /// <summary>Final once the job ended, else what it has cost so far.</summary>
    public decimal Cost => FinalCost ?? CurrentCost ?? 0m;

    public bool IsTerminal => Status is "completed" or "failed" or "cancelled";
}

public sealed record JobList(IReadOnlyList<Job> Jobs, Pagination? Pagination);

public sealed record MetricPoint(int Step, int Epoch, double TrainingLoss, double? ValidationLoss, double LearningRate, double? GradientNorm, double? Throughput, double? GpuUtilization, DateTimeOffset? Timestamp);

/// <summary><c>GET /api/jobs/{id}</c>: the job, its last 100 metric points, its cost records, and its revision (higher is later).</summary>
public sealed record JobDetails(Job Job, IReadOnlyList<MetricPoint>? Metrics, IReadOnlyList<JsonElement>? CostRecords, long Revision);

/// <summary>One server-sent event of <c>/api/jobs/{id}/stream</c>: the job now, the points since the last event, its revision.</summary>
public sealed record JobUpdate(Job Job, IReadOnlyList<MetricPoint>? NewMetrics, long Revision);

public sealed record JobEvent(long Version, string Type, DateTimeOffset Timestamp, JsonElement Data);

public sealed record JobHistory(Guid JobId, IReadOnlyList<JobEvent> Events);

public sealed record CheckpointFile(string Name, long Size, string? Sha256);

/// <summary>One checkpoint of <c>GET /api/jobs/{id}/checkpoints</c>: its files by name (sizes and hashes come with the download links).</summary>
public sealed record Checkpoint(int Step, int Epoch, DateTimeOffset? CreatedAt, double? TrainingLoss, double? ValidationLoss, int? Attempt, IReadOnlyList<string>? Files);

/// <summary><c>GET /api/jobs/{id}/checkpoints</c>: the job and its checkpoints, oldest first.</summary>
public sealed record JobCheckpoints(Guid JobId, IReadOnlyList<Checkpoint> Checkpoints);
