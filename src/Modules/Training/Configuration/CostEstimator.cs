using LoraPipeline.Platform;

namespace LoraPipeline.Training.Configuration;

/// <summary>The dataset figures an estimate needs (from the Datasets contract).</summary>
public sealed record DatasetFigures(string Name, int TotalTrainingPairs, long TotalTokens);

public sealed record CostBreakdown(decimal Compute, decimal Storage);

public sealed record TrainingDetails(
    int TotalSteps,
    int StepsPerEpoch,
    int EstimatedThroughputTokensPerSec,
    string DatasetName);

public sealed record CostEstimate(
    decimal EstimatedCost,
    CostBreakdown CostBreakdown,
    decimal EstimatedDurationHours,
    decimal HourlyRate,
    TrainingDetails TrainingDetails,
    bool? AllowedToProceed = null,
    string? Reason = null,
    decimal? BudgetRemaining = null);

/// <summary>
/// E03's formula, in decimal arithmetic, rounded to cents (and hours to 2 places) only at the end,
/// half away from zero like JavaScript's toFixed on the spec's examples:
/// <code>
/// steps_per_epoch = ceil(pairs / batch_size);  total_steps = steps_per_epoch * epochs
/// tokens_per_step = total_tokens / pairs * batch_size
/// seconds         = total_steps * tokens_per_step / (throughput_per_gpu * gpus)
///                 + 600 (initialisation) + 300 * epochs (validation) + 300 (final save)
/// compute         = price_per_gpu_hour * gpus * seconds / 3600;   total = compute + 0.50 storage
/// </code>
/// </summary>
internal static class CostEstimator
{
    public const decimal StorageCost = 0.50m;
    private const int InitialisationSeconds = 10 * 60;
    private const int ValidationSecondsPerEpoch = 5 * 60;
    private const int FinalSaveSeconds = 5 * 60;

    public static int StepsPerEpoch(int trainingPairs, int batchSize) => (trainingPairs + batchSize - 1) / batchSize;

    public static int TotalSteps(int trainingPairs, int batchSize, int epochs) => StepsPerEpoch(trainingPairs, batchSize) * epochs;

    public static CostEstimate Estimate(DatasetFigures dataset, int batchSize, int epochs, GpuType gpu, int gpuCount)
    {
        // The spec's fallbacks for a dataset without statistics; a ready dataset always has them.
        var pairs = dataset.TotalTrainingPairs > 0 ? dataset.TotalTrainingPairs : 1000;
        var tokens = dataset.TotalTokens > 0 ? dataset.TotalTokens : pairs * 200L;

        var hourlyRate = gpu.PricePerGpuHour * gpuCount;
        var throughput = gpu.ThroughputTokensPerSecond * gpuCount;
        var stepsPerEpoch = StepsPerEpoch(pairs, batchSize);
        var totalSteps = stepsPerEpoch * epochs;

        var tokensPerStep = (decimal)tokens / pairs * batchSize;
        var trainingSeconds = totalSteps * (tokensPerStep / throughput);
        var overheadSeconds = InitialisationSeconds + epochs * ValidationSecondsPerEpoch + FinalSaveSeconds;
        var hours = (trainingSeconds + overheadSeconds) / 3600m;

        var compute = hourlyRate * hours;
        return new CostEstimate(
            EstimatedCost: Money.Cents(compute + StorageCost),
            CostBreakdown: new CostBreakdown(Money.Cents(compute), StorageCost),
            EstimatedDurationHours: Math.Round(hours, 2, MidpointRounding.AwayFromZero),
            HourlyRate: Money.Cents(hourlyRate),
            TrainingDetails: new TrainingDetails(totalSteps, stepsPerEpoch, throughput, dataset.Name));
    }
}
