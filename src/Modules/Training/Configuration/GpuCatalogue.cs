namespace LoraPipeline.Training.Configuration;

/// <summary>One rentable GPU type: price per GPU-hour, training throughput per GPU, memory.</summary>
public sealed class GpuType
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public decimal PricePerGpuHour { get; set; }
    public int ThroughputTokensPerSecond { get; set; }
    public int MemoryGb { get; set; }
    public string Description { get; set; } = "";
}

/// <summary>
/// The GPU catalogue, bound from configuration section "Gpus" (an array); E03's four types are
/// the default.
/// </summary>
public sealed class GpuCatalogueOptions
{
    public const string Section = "Gpus";

    public List<GpuType> Types { get; set; } = [];

    public static IReadOnlyList<GpuType> Defaults { get; } =
    [
        new() { Id = "A100-80GB", Name = "NVIDIA A100 80GB", PricePerGpuHour = 3.50m, ThroughputTokensPerSecond = 1800, MemoryGb = 80, Description = "Best overall performance" },
        new() { Id = "A100-40GB", Name = "NVIDIA A100 40GB", PricePerGpuHour = 2.80m, ThroughputTokensPerSecond = 1500, MemoryGb = 40, Description = "Good for smaller models" },
        new() { Id = "H100", Name = "NVIDIA H100", PricePerGpuHour = 4.20m, ThroughputTokensPerSecond = 2200, MemoryGb = 80, Description = "Fastest available" },
        new() { Id = "V100-32GB", Name = "NVIDIA V100 32GB", PricePerGpuHour = 2.10m, ThroughputTokensPerSecond = 1200, MemoryGb = 32, Description = "Budget option" },
    ];

    public IReadOnlyList<GpuType> Effective => Types.Count > 0 ? Types : Defaults;

    public GpuType? Find(string? id) =>
        Effective.FirstOrDefault(g => string.Equals(g.Id, id, StringComparison.OrdinalIgnoreCase));
}
