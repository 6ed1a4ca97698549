using LoraPipeline.Platform.Http;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Training.Configuration;

/// <summary>
/// Hyperparameters as clients send them. Both naming styles of the spec are accepted
/// (E03: epochs, rank, alpha, dropout; E01: num_epochs, lora_rank, lora_alpha, lora_dropout);
/// giving both names of one value with different numbers is an error.
/// </summary>
public sealed class HyperparameterInput
{
    public string? BaseModel { get; set; }
    public decimal? LearningRate { get; set; }
    public int? BatchSize { get; set; }
    public int? Epochs { get; set; }
    public int? NumEpochs { get; set; }
    public int? Rank { get; set; }
    public int? LoraRank { get; set; }
    public int? Alpha { get; set; }
    public int? LoraAlpha { get; set; }
    public decimal? Dropout { get; set; }
    public decimal? LoraDropout { get; set; }
    public int? WarmupSteps { get; set; }
    public decimal? WeightDecay { get; set; }
}

/// <summary>GPU choice as clients send it: E03's type/count or E01's gpu_type/num_gpus.</summary>
public sealed class GpuInput
{
    public string? Type { get; set; }
    public string? GpuType { get; set; }
    public int? Count { get; set; }
    public int? NumGpus { get; set; }
}

/// <summary>
/// Turns input into a complete configuration. Missing hyperparameters come from the chosen preset
/// (custom's defaults when none), so a client may send only what it changes. Every problem is
/// reported at once, named by field with its allowed range.
/// </summary>
internal static class TrainingConfigurationRules
{
    public static readonly (int Min, int Max) BatchSize = (1, 64);
    public static readonly (int Min, int Max) Epochs = (1, 20);
    public static readonly (decimal Min, decimal Max) LearningRate = (0.00001m, 0.001m);
    public static readonly (int Min, int Max) Rank = (4, 128);
    public static readonly (int Min, int Max) Alpha = (1, 512);
    public static readonly (decimal Min, decimal Max) Dropout = (0m, 0.5m);
    public static readonly (int Min, int Max) WarmupSteps = (0, 100_000);
    public static readonly (decimal Min, decimal Max) WeightDecay = (0m, 1m);
    public static readonly (int Min, int Max) GpuCount = (1, 8);

    public static (Hyperparameters? Hyperparameters, GpuConfig? Gpu, FieldErrors Errors) Resolve(
        string presetId, HyperparameterInput? input, GpuInput? gpuInput, GpuCatalogueOptions catalogue, IReadOnlyList<string> baseModels)
    {
        var errors = new FieldErrors();
        var preset = Presets.Find(presetId);
        if (preset is null)
        {
            errors.Add("preset_id", $"must be one of {string.Join(", ", Presets.All.Select(p => p.Id))}");
            preset = Presets.Find(Presets.Custom)!;
        }

        var defaults = Presets.OfferedBy(preset, baseModels).Hyperparameters;
        input ??= new HyperparameterInput();

        var baseModel = input.BaseModel ?? defaults.BaseModel;
        if (!baseModels.Contains(baseModel))
        {
            errors.Add("hyperparameters.base_model", $"must be one of {string.Join(", ", baseModels.Order())}");
        }

        var learningRate = input.LearningRate ?? defaults.LearningRate;
        errors.RequireRange("hyperparameters.learning_rate", learningRate, LearningRate);
        var batchSize = input.BatchSize ?? defaults.BatchSize;
        errors.RequireRange("hyperparameters.batch_size", batchSize, BatchSize);
        var epochs = Either(errors, "hyperparameters.epochs", "num_epochs", input.Epochs, input.NumEpochs) ?? defaults.NumEpochs;
        errors.RequireRange("hyperparameters.epochs", epochs, Epochs);
        var rank = Either(errors, "hyperparameters.rank", "lora_rank", input.Rank, input.LoraRank) ?? defaults.LoraRank;
        errors.RequireRange("hyperparameters.rank", rank, Rank);
        var alpha = Either(errors, "hyperparameters.alpha", "lora_alpha", input.Alpha, input.LoraAlpha) ?? defaults.LoraAlpha;
        errors.RequireRange("hyperparameters.alpha", alpha, Alpha);
        var dropout = Either(errors, "hyperparameters.dropout", "lora_dropout", input.Dropout, input.LoraDropout) ?? defaults.LoraDropout;
        errors.RequireRange("hyperparameters.dropout", dropout, Dropout);
        var warmup = input.WarmupSteps ?? defaults.WarmupSteps;
        if (warmup is { } w)
        {
            errors.RequireRange("hyperparameters.warmup_steps", w, WarmupSteps);
        }

        var weightDecay = input.WeightDecay ?? defaults.WeightDecay;
        if (weightDecay is { } wd)
        {
            errors.RequireRange("hyperparameters.weight_decay", wd, WeightDecay);
        }

        GpuConfig? gpu = null;
        if (gpuInput is null)
        {
            errors.Add("gpu_config", "is required: { \"type\": \"A100-80GB\", \"count\": 1 }");
        }
        else
        {
            var typeId = Either(errors, "gpu_config.type", "gpu_type", gpuInput.Type, gpuInput.GpuType);
            var count = Either(errors, "gpu_config.count", "num_gpus", gpuInput.Count, gpuInput.NumGpus) ?? 1;
            var type = catalogue.Find(typeId);
            if (type is null)
            {
                errors.Add("gpu_config.type", $"must be one of {string.Join(", ", catalogue.Effective.Select(g => g.Id))}");
            }

            errors.RequireRange("gpu_config.count", count, GpuCount);
            if (type is not null)
            {
                gpu = new GpuConfig(type.Id, count, type.MemoryGb, type.PricePerGpuHour);
            }
        }

        if (errors.Any)
        {
            return (null, null, errors);
        }

        var hyperparameters = new Hyperparameters(baseModel, learningRate, batchSize, epochs, rank, alpha, dropout, warmup, weightDecay);
        return (hyperparameters, gpu, errors);
    }

    private static T? Either<T>(FieldErrors errors, string field, string alias, T? shortName, T? longName)
        where T : struct
    {
        if (shortName is not null && longName is not null && !shortName.Equals(longName))
        {
            errors.Add(field, $"is given twice with different values (also as {alias})");
        }

        return shortName ?? longName;
    }

    private static string? Either(FieldErrors errors, string field, string alias, string? shortName, string? longName)
    {
        if (shortName is not null && longName is not null && shortName != longName)
        {
            errors.Add(field, $"is given twice with different values (also as {alias})");
        }

        return shortName ?? longName;
    }
}
