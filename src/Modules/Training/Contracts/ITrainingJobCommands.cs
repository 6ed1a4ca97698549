namespace LoraPipeline.Training.Contracts;

/// <summary>
/// Jobs as another API (the OpenAI-compatible one) drives them: create, read, list, cancel, pause, resume, and
/// the job's history and checkpoints, always in the caller's own tenant. A refusal is an
/// <c>ApiProblemException</c> with the native API's status and words (400, 402, 404, 409); the caller translates it.
/// </summary>
public interface ITrainingJobCommands
{
    /// <summary>The base models a job may train (Training:BaseModels).</summary>
    IReadOnlySet<string> BaseModels { get; }

    Task<JobSnapshot> CreateAsync(Guid userId, JobOrderInput order, CancellationToken ct);

    Task<JobSnapshot?> FindAsync(Guid userId, Guid jobId, CancellationToken ct);

    /// <summary>The user's jobs, newest first.</summary>
    Task<IReadOnlyList<JobSnapshot>> ListAsync(Guid userId, CancellationToken ct);

    Task<JobSnapshot> CancelAsync(Guid userId, Guid jobId, CancellationToken ct);

    Task<JobSnapshot> PauseAsync(Guid userId, Guid jobId, CancellationToken ct);

    Task<JobSnapshot> ResumeAsync(Guid userId, Guid jobId, CancellationToken ct);

    /// <summary>What happened to the job, oldest first, in sentences, with its metric points; null when the job is not the user's.</summary>
    Task<IReadOnlyList<JobTimelineEntry>?> TimelineAsync(Guid userId, Guid jobId, CancellationToken ct);

    /// <summary>The checkpoints the cluster saved, oldest first; null when the job is not the user's.</summary>
    Task<IReadOnlyList<JobCheckpointSummary>?> CheckpointsAsync(Guid userId, Guid jobId, CancellationToken ct);
}

/// <summary>A create request in the native names; null fields take the preset's (or custom's) values.</summary>
public sealed record JobOrderInput(
    Guid DatasetId,
    string? PresetId,
    string? BaseModel,
    decimal? LearningRate,
    int? BatchSize,
    int? NumEpochs,
    int? LoraRank,
    int? LoraAlpha,
    decimal? LoraDropout,
    string GpuType,
    int NumGpus,
    JobExtras Extras);

/// <summary>A job as another module shows it. <paramref name="Status"/> is the native status name (queued, running, ...).</summary>
public sealed record JobSnapshot(
    Guid Id,
    Guid DatasetId,
    string Status,
    string Stage,
    string PresetId,
    Hyperparameters Hyperparameters,
    GpuConfig Gpu,
    int CurrentStep,
    int TotalSteps,
    long? DatasetTotalTokens,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset? EstimatedCompletionAt,
    decimal CurrentCost,
    decimal EstimatedTotalCost,
    decimal? FinalCost,
    string? ErrorMessage,
    Guid? ArtifactId,
    JobExtras Extras);

/// <summary>
/// One entry of a job's history: a sentence (level info, warn or error), for a metric point too (<paramref name="Metrics"/> set);
/// <paramref name="Version"/> is the job stream's event it comes from.
/// </summary>
public sealed record JobTimelineEntry(string Id, DateTimeOffset At, string Level, string Message, MetricPoint? Metrics, long Version = 0);

public sealed record JobCheckpointSummary(int Step, int Epoch, DateTimeOffset CreatedAt, double? TrainingLoss, double? ValidationLoss);
