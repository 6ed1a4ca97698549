using LoraPipeline.Training.Contracts;

namespace LoraPipeline.OpenAi.FineTuning;

/// <summary>
/// OpenAI's fine-tuning job object, with LoraPipeline's own fields after OpenAI's (costs in US dollars, the
/// preset, the LoRA and GPU settings, the native status and steps): SDKs keep fields they do not know.
/// </summary>
internal sealed record FineTuningJobObject(
    string Id,
    long CreatedAt,
    JobErrorObject? Error,
    string? FineTunedModel,
    long? FinishedAt,
    HyperparametersObject Hyperparameters,
    string Model,
    string OrganizationId,
    IReadOnlyList<string> ResultFiles,
    string Status,
    long? TrainedTokens,
    string TrainingFile,
    string? ValidationFile,
    long? Seed,
    long? EstimatedFinish,
    IReadOnlyList<object> Integrations,
    IReadOnlyDictionary<string, string>? Metadata,
    MethodObject Method,
    string? UserProvidedSuffix,
    decimal CurrentCost,
    decimal EstimatedTotalCost,
    decimal? FinalCost,
    string PresetId,
    LoraObject Lora,
    GpuObject Gpu,
    string NativeStatus,
    int CurrentStep,
    int TotalSteps)
{
    public string Object => "fine_tuning.job";

    public string Currency => "usd";

    public static FineTuningJobObject From(JobSnapshot job)
    {
        var status = StatusOf(job.Status);
        var hyperparameters = new HyperparametersObject(
            job.Hyperparameters.NumEpochs, job.Hyperparameters.BatchSize, HyperparameterMapping.MultiplierOf(job.Hyperparameters.LearningRate));
        var succeeded = status == "succeeded";
        return new FineTuningJobObject(
            OpenAiIds.ForJob(job.Id),
            OpenAiIds.Unix(job.CreatedAt),
            status == "failed" ? new JobErrorObject("training_failed", job.ErrorMessage ?? "The job failed.", null) : null,
            succeeded ? ModelNames.FineTuned(job) : null,
            TerminalStatuses.Contains(status) ? OpenAiIds.Unix(job.CompletedAt ?? job.CreatedAt) : null,
            hyperparameters,
            job.Hyperparameters.BaseModel,
            "user",
            succeeded ? [OpenAiIds.ForResultFile(job.Id)] : [],
            status,
            succeeded && job.DatasetTotalTokens is { } tokens ? tokens * job.Hyperparameters.NumEpochs : null,
            OpenAiIds.ForFile(job.DatasetId),
            job.Extras.ValidationDatasetId is { } validation ? OpenAiIds.ForFile(validation) : null,
            job.Extras.Seed ?? DefaultSeed(job.Id),
            TerminalStatuses.Contains(status) ? null : OpenAiIds.Unix(job.EstimatedCompletionAt),
            [],
            job.Extras.Metadata ?? new Dictionary<string, string>(),
            new MethodObject("supervised", new SupervisedObject(hyperparameters)),
            job.Extras.Suffix,
            job.CurrentCost,
            job.EstimatedTotalCost,
            job.FinalCost,
            job.PresetId,
            new LoraObject(job.Hyperparameters.LoraRank, job.Hyperparameters.LoraAlpha, job.Hyperparameters.LoraDropout),
            new GpuObject(job.Gpu.GpuType, job.Gpu.NumGpus, job.Gpu.HourlyRate),
            job.Status,
            job.CurrentStep,
            job.TotalSteps);
    }

    /// <summary>
    /// OpenAI always answers a seed (its SDKs require one) and picks one when none was given: a job created without
    /// one answers a seed derived from its id, the same on every read.
    /// </summary>
    private static long DefaultSeed(Guid jobId) => BitConverter.ToInt32(jobId.ToByteArray(), 0) & int.MaxValue;

    private static readonly HashSet<string> TerminalStatuses = ["succeeded", "failed", "cancelled"];

    /// <summary>
    /// Native status to OpenAI's: a job accepted but not yet handed to the cluster is <c>validating_files</c>, one
    /// waiting for its GPUs <c>queued</c>; a job recovering from a preemption is still <c>running</c>.
    /// </summary>
    public static string StatusOf(string native) => native switch
    {
        "queued" => "validating_files",
        "initializing" => "queued",
        "running" or "recovering" => "running",
        "paused" => "paused",
        "completed" => "succeeded",
        "failed" => "failed",
        "cancelled" => "cancelled",
        _ => native,
    };
}

internal sealed record JobErrorObject(string Code, string Message, string? Param);

internal sealed record HyperparametersObject(int NEpochs, int BatchSize, double LearningRateMultiplier);

internal sealed record MethodObject(string Type, SupervisedObject Supervised);

internal sealed record SupervisedObject(HyperparametersObject Hyperparameters);

internal sealed record LoraObject(int Rank, int Alpha, decimal Dropout);

internal sealed record GpuObject(string Type, int Count, decimal HourlyRate);
