namespace LoraPipeline.Training.Contracts;

/// <summary>
/// The hyperparameters of a job, in the one style we answer with (E01's names:
/// num_epochs, lora_rank, lora_alpha, lora_dropout). Requests may also use E03's short names;
/// see <see cref="HyperparameterInput"/>.
/// </summary>
public sealed record Hyperparameters(
    string BaseModel,
    decimal LearningRate,
    int BatchSize,
    int NumEpochs,
    int LoraRank,
    int LoraAlpha,
    decimal LoraDropout,
    int? WarmupSteps = null,
    decimal? WeightDecay = null);

/// <summary>GPU configuration as stored and answered (E01 style).</summary>
public sealed record GpuConfig(string GpuType, int NumGpus, int GpuMemoryGb, decimal CostPerGpuHour)
{
    public decimal HourlyRate => CostPerGpuHour * NumGpus;
}
