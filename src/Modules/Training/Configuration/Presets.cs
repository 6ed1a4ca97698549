using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Training.Configuration;

public sealed record Preset(string Id, string Name, string Description, Hyperparameters Hyperparameters);

/// <summary>The values training uses for the optional hyperparameters when a job leaves them unset.</summary>
public sealed record OptionalDefaults(int WarmupSteps, decimal WeightDecay);

/// <summary>
/// fast, balanced and quality carry E03's values (balanced is E03's, not E01's); conservative and
/// aggressive come from E01; custom is E01's starting point for hand tuning. Each description says what its values
/// are (a test compares them): the preset's warm-up steps and weight decay are unset, which the cluster runs as 0.
/// </summary>
internal static class Presets
{
    public const string DefaultBaseModel = "mistralai/Mistral-7B-v0.1";
    public const string Custom = "custom";

    public static readonly IReadOnlyList<Preset> All =
    [
        new("fast", "Fast", "One epoch with a small adapter (rank 8): the quickest and cheapest run, for testing and iteration",
            new(DefaultBaseModel, 0.0001m, 8, 1, 8, 16, 0.05m)),
        new("balanced", "Balanced", "Three epochs at a moderate learning rate (5e-5) with a rank-16 adapter: the recommended balance of quality and cost",
            new(DefaultBaseModel, 0.00005m, 4, 3, 16, 32, 0.1m)),
        new("quality", "Quality", "Five epochs at the lowest learning rate (3e-5) with a large adapter (rank 32) and small batches: slow and thorough, for production models",
            new(DefaultBaseModel, 0.00003m, 2, 5, 32, 64, 0.1m)),
        new("conservative", "Conservative", "A small adapter (rank 8) with light dropout: few trainable weights, so it overfits less on small or noisy data (learning rate 1e-4)",
            new(DefaultBaseModel, 0.0001m, 4, 3, 8, 16, 0.05m)),
        new("aggressive", "Aggressive", "The highest learning rate (3e-4), large batches, a large adapter and ten epochs: learns the most per step but may diverge or overfit, and costs the most",
            new(DefaultBaseModel, 0.0003m, 16, 10, 32, 64, 0.1m)),
        new(Custom, "Custom", "A starting point for hand tuning (learning rate 2e-4, five epochs, rank 16): adjust every value",
            new(DefaultBaseModel, 0.0002m, 8, 5, 16, 32, 0.1m)),
    ];

    /// <summary>What the cluster uses for an optional hyperparameter a preset leaves unset (the trainer's defaults).</summary>
    public static readonly OptionalDefaults UnsetDefaults = new(WarmupSteps: 0, WeightDecay: 0m);

    public static Preset? Find(string? id) =>
        All.FirstOrDefault(p => string.Equals(p.Id, id, StringComparison.Ordinal));

    /// <summary>
    /// The preset as a cluster offering <paramref name="offered"/> runs it: the presets name Mistral 7B, and a
    /// cluster that does not train it (a Slurm gateway with Llama 3 only, the tiny demo model) trains its default,
    /// the first base model it offers, instead of refusing every preset.
    /// </summary>
    public static Preset OfferedBy(Preset preset, IReadOnlyList<string> offered) =>
        offered.Count == 0 || offered.Contains(preset.Hyperparameters.BaseModel)
            ? preset
            : preset with { Hyperparameters = preset.Hyperparameters with { BaseModel = offered[0] } };
}
