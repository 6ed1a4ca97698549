using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Training.Configuration;

public sealed record Preset(string Id, string Name, string Description, Hyperparameters Hyperparameters);

/// <summary>
/// fast, balanced and quality carry E03's values (balanced is E03's, not E01's); conservative and
/// aggressive come from E01; custom is E01's starting point for hand tuning.
/// </summary>
internal static class Presets
{
    public const string DefaultBaseModel = "mistralai/Mistral-7B-v0.1";
    public const string Custom = "custom";

    public static readonly IReadOnlyList<Preset> All =
    [
        new("fast", "Fast", "Quick training for testing and iteration",
            new(DefaultBaseModel, 0.0001m, 8, 1, 8, 16, 0.05m)),
        new("balanced", "Balanced", "Recommended balance of quality and cost",
            new(DefaultBaseModel, 0.00005m, 4, 3, 16, 32, 0.1m)),
        new("quality", "Quality", "Maximum quality for production models",
            new(DefaultBaseModel, 0.00003m, 2, 5, 32, 64, 0.1m)),
        new("conservative", "Conservative", "Low learning rate and small adapter; stable on noisy data",
            new(DefaultBaseModel, 0.0001m, 4, 3, 8, 16, 0.05m)),
        new("aggressive", "Aggressive", "High learning rate, large batches and adapter; fastest convergence, riskiest",
            new(DefaultBaseModel, 0.0003m, 16, 10, 32, 64, 0.1m)),
        new(Custom, "Custom", "Start from sensible defaults and tune every value",
            new(DefaultBaseModel, 0.0002m, 8, 5, 16, 32, 0.1m)),
    ];

    public static Preset? Find(string? id) =>
        All.FirstOrDefault(p => string.Equals(p.Id, id, StringComparison.Ordinal));
}
