using LoraPipeline.Platform.Http;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace LoraPipeline.Training.Configuration;

/// <param name="UnsetDefaults">What training uses for warm-up steps and weight decay when the preset or job leaves them unset.</param>
/// <param name="BaseModelSizes">Billions of parameters per base model, as the estimate's throughput rule counts them.</param>
public sealed record PresetList(
    IReadOnlyList<Preset> Presets, IReadOnlyList<string> BaseModels, HyperparameterRanges Ranges, OptionalDefaults? UnsetDefaults = null,
    IReadOnlyDictionary<string, decimal>? BaseModelSizes = null);

/// <summary>The allowed ranges, so clients can build their sliders from the API.</summary>
public sealed record HyperparameterRanges(
    decimal[] LearningRate, int[] BatchSize, int[] Epochs, int[] LoraRank, int[] LoraAlpha, decimal[] LoraDropout,
    int[] WarmupSteps, decimal[] WeightDecay, int[] NumGpus);

public sealed record GpuList(IReadOnlyList<GpuType> Gpus);

public static class PresetsEndpoint
{
    /// <summary>fast, balanced, quality (E03), conservative, aggressive (E01) and custom, with the allowed ranges.</summary>
    [WolverineGet("/api/presets", OperationId = "ListPresets"), Tags("Configuration")]
    public static ApiResponse<PresetList> Get(IOptions<TrainingOptions> options)
    {
        var ranges = new HyperparameterRanges(
            [TrainingConfigurationRules.LearningRate.Min, TrainingConfigurationRules.LearningRate.Max],
            [TrainingConfigurationRules.BatchSize.Min, TrainingConfigurationRules.BatchSize.Max],
            [TrainingConfigurationRules.Epochs.Min, TrainingConfigurationRules.Epochs.Max],
            [TrainingConfigurationRules.Rank.Min, TrainingConfigurationRules.Rank.Max],
            [TrainingConfigurationRules.Alpha.Min, TrainingConfigurationRules.Alpha.Max],
            [TrainingConfigurationRules.Dropout.Min, TrainingConfigurationRules.Dropout.Max],
            [TrainingConfigurationRules.WarmupSteps.Min, TrainingConfigurationRules.WarmupSteps.Max],
            [TrainingConfigurationRules.WeightDecay.Min, TrainingConfigurationRules.WeightDecay.Max],
            [TrainingConfigurationRules.GpuCount.Min, TrainingConfigurationRules.GpuCount.Max]);
        var offered = options.Value.OfferedBaseModels;
        var models = offered.Order().ToList();
        return Api.Ok(new PresetList(Presets.All.Select(p => Presets.OfferedBy(p, offered)).ToList(), models, ranges, Presets.UnsetDefaults, models.ToDictionary(m => m, Configuration.BaseModelSizes.BillionsOf)));
    }
}

public static class GpusEndpoint
{
    /// <summary>GPU types with price per GPU-hour, training throughput (tokens/s per GPU) and memory.</summary>
    [WolverineGet("/api/gpus", OperationId = "ListGpus"), Tags("Configuration")]
    public static ApiResponse<GpuList> Get(IOptions<GpuCatalogueOptions> catalogue) => Api.Ok(new GpuList(catalogue.Value.Effective));
}
