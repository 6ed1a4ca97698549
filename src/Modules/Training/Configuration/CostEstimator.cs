using System.Globalization;
using LoraPipeline.Platform;

namespace LoraPipeline.Training.Configuration;

/// <summary>
/// The dataset figures an estimate needs (from the Datasets contract). <paramref name="TrainedTokens"/> is the sum over
/// examples of min(tokens, <paramref name="MaxSequenceLength"/>): what training processes after truncation; 0 when the
/// dataset was validated before the figure existed (then <paramref name="TotalTokens"/> stands in).
/// </summary>
public sealed record DatasetFigures(
    string Name, int TotalTrainingPairs, long TotalTokens, long TrainedTokens = 0, long ValidationPairs = 0, int MaxSequenceLength = 0);

/// <summary>What the estimate is asked for: the configuration parts that change time and cost.</summary>
public sealed record EstimateInput(
    DatasetFigures Dataset, int BatchSize, int Epochs, GpuType Gpu, int GpuCount, string BaseModel = Presets.DefaultBaseModel,
    decimal? ValidationSplit = null, long ValidationFilePairs = 0);

public sealed record CostBreakdown(decimal Compute, decimal Storage);

public sealed record TrainingDetails(
    int TotalSteps,
    int StepsPerEpoch,
    int EstimatedThroughputTokensPerSec,
    string DatasetName);

/// <summary>One part of the estimate: its time and its cost. The lines' costs add up to <c>estimated_cost</c> exactly.</summary>
public sealed record EstimateLine(string Id, string Label, long Seconds, decimal Cost);

/// <summary>The tokens the estimate trains on: those left after truncation at the maximum sequence length.</summary>
public sealed record EstimateTokens(
    long TotalTokens, long TrainedTokens, int MaxSequenceLength, int TrainingExamples, long TrainedTokensPerEpoch, string Note);

/// <summary>How the throughput was found: the catalogue's figure for a 7B model, scaled by the model's size and the GPUs.</summary>
public sealed record EstimateThroughput(
    int CatalogueTokensPerSecPerGpu, decimal ReferenceModelBillions, decimal BaseModelBillions, decimal ModelFactor,
    int NumGpus, decimal GpuScaling, int TokensPerSec, string Rule);

/// <summary>Where the validation examples come from: the dataset's own, those an automatic split moves, and the validation dataset's.</summary>
public sealed record EstimateValidation(long Examples, long FromDataset, long FromSplit, decimal? Split, long FromValidationDataset = 0);

public sealed record CostEstimate(
    decimal EstimatedCost,
    CostBreakdown CostBreakdown,
    decimal EstimatedDurationHours,
    decimal HourlyRate,
    TrainingDetails TrainingDetails,
    bool? AllowedToProceed = null,
    string? Reason = null,
    decimal? BudgetRemaining = null,
    IReadOnlyList<EstimateLine>? Lines = null,
    EstimateTokens? Tokens = null,
    EstimateThroughput? Throughput = null,
    EstimateValidation? Validation = null,
    IReadOnlyList<string>? Warnings = null);

/// <summary>
/// E03's formula, extended (issue 22), in decimal arithmetic:
/// <code>
/// training_pairs  = pairs - split_moved;  validation = dataset's validation pairs + split_moved (ValidationSplit)
///                   + every example of the validation dataset (validation_dataset_id)
/// steps_per_epoch = ceil(training_pairs / batch_size);  total_steps = steps_per_epoch * epochs
/// tokens_per_step = trained_tokens / (all examples) * batch_size     (trained = sum(min(tokens, max_seq_len)))
/// throughput      = catalogue_throughput_per_gpu * 7B / model_parameters * gpus   (catalogue figures are for a 7B model;
///                   data parallel: the GPU scaling factor is the GPU count, as the simulator trains)
/// lines (seconds) = training: total_steps * tokens_per_step / throughput;  start-up: 600;
///                   validation: 300 * epochs, only when there are validation examples;  final save: 300
/// line cost       = price_per_gpu_hour * gpus * line_seconds / 3600;  storage: 0.50
/// </code>
/// Rounding: the compute total is rounded to cents once (half away from zero, as before), then shared out over the
/// time lines by the largest-remainder method (each line's exact cost rounded down to cents, the cents left over going
/// to the lines with the largest remainders), so the lines add up to the total exactly. Line seconds are shared out the
/// same way from the rounded total seconds; hours are rounded to 2 places at the end.
/// </summary>
internal static class CostEstimator
{
    public const decimal StorageCost = 0.50m;
    public const int InitialisationSeconds = 10 * 60;
    public const int ValidationSecondsPerEpoch = 5 * 60;
    public const int FinalSaveSeconds = 5 * 60;

    /// <summary>More GPUs that save less than this share of the one-GPU time are flagged: fixed overheads dominate.</summary>
    public const decimal WorthwhileTimeSaving = 0.25m;

    public static int StepsPerEpoch(int trainingPairs, int batchSize) => (trainingPairs + batchSize - 1) / batchSize;

    public static int TotalSteps(int trainingPairs, int batchSize, int epochs) => StepsPerEpoch(trainingPairs, batchSize) * epochs;

    public static CostEstimate Estimate(DatasetFigures dataset, int batchSize, int epochs, GpuType gpu, int gpuCount) =>
        Estimate(new EstimateInput(dataset, batchSize, epochs, gpu, gpuCount));

    public static CostEstimate Estimate(EstimateInput input)
    {
        var (dataset, batchSize, epochs, gpu, gpuCount) = (input.Dataset, input.BatchSize, input.Epochs, input.Gpu, input.GpuCount);
        // The spec's fallbacks for a dataset without statistics; a ready dataset always has them.
        var datasetPairs = dataset.TotalTrainingPairs > 0 ? dataset.TotalTrainingPairs : 1000;
        var totalTokens = dataset.TotalTokens > 0 ? dataset.TotalTokens : datasetPairs * 200L;
        var trainedTokens = dataset.TrainedTokens > 0 ? Math.Min(dataset.TrainedTokens, totalTokens) : totalTokens;
        var moved = ValidationSplit.Moved(datasetPairs, input.ValidationSplit);
        var pairs = datasetPairs - moved;
        var validationExamples = dataset.ValidationPairs + moved + input.ValidationFilePairs;

        var stepsPerEpoch = StepsPerEpoch(pairs, batchSize);
        var totalSteps = stepsPerEpoch * epochs;
        var tokensPerExample = (decimal)trainedTokens / (datasetPairs + dataset.ValidationPairs);
        var throughput = Throughput(gpu, input.BaseModel, gpuCount);
        var hourlyRate = gpu.PricePerGpuHour * gpuCount;

        var timed = TimeLines(totalSteps * tokensPerExample * batchSize / throughput.Exact, epochs, validationExamples > 0);
        var exactSeconds = timed.Sum(l => l.Seconds);
        var compute = Money.Cents(hourlyRate * exactSeconds / 3600m);
        var costs = LargestRemainder.Share(timed.Select(l => hourlyRate * l.Seconds / 3600m).ToArray(), compute, 0.01m);
        var seconds = LargestRemainder.Share(timed.Select(l => l.Seconds).ToArray(), Math.Round(exactSeconds, MidpointRounding.AwayFromZero), 1m);
        var lines = timed.Select((l, i) => new EstimateLine(l.Id, l.Label, (long)seconds[i], costs[i]))
            .Append(new EstimateLine("storage", "Adapter storage", 0, StorageCost))
            .ToList();
        var hours = exactSeconds / 3600m;

        var tokens = new EstimateTokens(
            totalTokens, trainedTokens, dataset.MaxSequenceLength, pairs, (long)Math.Round(tokensPerExample * pairs),
            trainedTokens < totalTokens
                ? Invariant($"Trains on {trainedTokens:N0} of {totalTokens:N0} tokens: examples longer than {dataset.MaxSequenceLength:N0} tokens are truncated.")
                : Invariant($"Trains on all {totalTokens:N0} tokens: no example is longer than the maximum sequence length."));

        return new CostEstimate(
            EstimatedCost: compute + StorageCost,
            CostBreakdown: new CostBreakdown(compute, StorageCost),
            EstimatedDurationHours: Math.Round(hours, 2, MidpointRounding.AwayFromZero),
            HourlyRate: Money.Cents(hourlyRate),
            TrainingDetails: new TrainingDetails(totalSteps, stepsPerEpoch, throughput.Figures.TokensPerSec, dataset.Name),
            Lines: lines,
            Tokens: tokens,
            Throughput: throughput.Figures,
            Validation: new EstimateValidation(validationExamples, dataset.ValidationPairs, moved, input.ValidationSplit, input.ValidationFilePairs),
            Warnings: Warnings(input, exactSeconds, hourlyRate, validationExamples));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private readonly record struct TimeLine(string Id, string Label, decimal Seconds);

    private static List<TimeLine> TimeLines(decimal trainingSeconds, int epochs, bool validates)
    {
        var lines = new List<TimeLine>
        {
            new("training", "Training", trainingSeconds),
            new("startup", "Start-up (GPU allocation, loading the base model)", InitialisationSeconds),
        };
        if (validates)
        {
            lines.Add(new("validation", $"Validation after each epoch ({epochs} × {ValidationSecondsPerEpoch / 60} min)", epochs * ValidationSecondsPerEpoch));
        }

        lines.Add(new("final_save", "Saving the adapter", FinalSaveSeconds));
        return lines;
    }

    /// <summary>
    /// The rule (catalogue throughputs are measured on a 7B model; training cost grows with parameters × tokens):
    /// tokens/s = catalogue tokens/s per GPU × 7B / base model parameters × number of GPUs.
    /// </summary>
    public static (decimal Exact, EstimateThroughput Figures) Throughput(GpuType gpu, string baseModel, int gpuCount)
    {
        var billions = BaseModelSizes.BillionsOf(baseModel);
        var modelFactor = BaseModelSizes.ReferenceBillions / billions;
        var exact = gpu.ThroughputTokensPerSecond * modelFactor * gpuCount;
        var rule = Invariant($"{gpu.ThroughputTokensPerSecond:N0} tokens/s per {gpu.Id} (catalogue, 7B model) × 7B / {billions:0.##}B parameters × {gpuCount} GPU{(gpuCount == 1 ? "" : "s")} = {exact:N0} tokens/s");
        return (exact, new EstimateThroughput(
            gpu.ThroughputTokensPerSecond, BaseModelSizes.ReferenceBillions, billions, Math.Round(modelFactor, 3, MidpointRounding.AwayFromZero),
            gpuCount, gpuCount, (int)Math.Round(exact, MidpointRounding.AwayFromZero), rule));
    }

    private static List<string> Warnings(EstimateInput input, decimal seconds, decimal hourlyRate, long validationExamples)
    {
        var warnings = new List<string>();
        if (validationExamples == 0)
        {
            warnings.Add("The dataset has no validation examples, so no validation loss will be measured. " +
                         "Set an automatic validation split (e.g. 10%), choose a validation dataset, or add examples with \"split\": \"validation\".");
        }

        if (input.GpuCount > 1)
        {
            var single = Estimate(input with { GpuCount = 1 });
            var singleSeconds = single.EstimatedDurationHours * 3600m;
            var saved = singleSeconds - seconds;
            var extra = Money.Cents(hourlyRate * seconds / 3600m) - single.CostBreakdown.Compute;
            if (singleSeconds > 0 && saved / singleSeconds < WorthwhileTimeSaving)
            {
                var overheads = single.Lines!.Where(l => l.Id is not "training" and not "storage").ToList();
                var named = overheads.Any(l => l.Id == "validation") ? "start-up, validation and saving" : "start-up and saving";
                warnings.Add(Invariant($"{input.GpuCount} GPUs cost ${extra:0.00} more than 1 and save only {Math.Max(0, saved) / 60m:0} min ") +
                             Invariant($"({Math.Max(0, saved) / singleSeconds * 100:0}%): {named} take {overheads.Sum(l => l.Seconds) / 60} min whatever the number of GPUs."));
            }
        }

        return warnings;
    }
}

/// <summary>Rounds parts to a unit so that they add up to a total already rounded to that unit (largest remainder first).</summary>
internal static class LargestRemainder
{
    public static decimal[] Share(decimal[] exact, decimal total, decimal unit)
    {
        var shares = exact.Select(v => Math.Floor(v / unit) * unit).ToArray();
        var left = (int)Math.Round((total - shares.Sum()) / unit);
        var byRemainder = Enumerable.Range(0, exact.Length).OrderByDescending(i => exact[i] - shares[i]).ThenBy(i => i).ToArray();
        for (var k = 0; k < left && k < byRemainder.Length; k++)
        {
            shares[byRemainder[k]] += unit;
        }

        return shares;
    }
}
