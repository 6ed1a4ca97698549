namespace LoraPipeline.Training.Configuration;

/// <summary>Section "Training".</summary>
public sealed class TrainingOptions
{
    public const string Section = "Training";

    /// <summary>Base models a job may fine-tune (those the cluster can train); the first is the default.</summary>
    public List<string> BaseModels { get; set; } = [];

    public static IReadOnlyList<string> DefaultBaseModels { get; } =
    [
        "mistralai/Mistral-7B-v0.1", "mistralai/Mistral-7B-Instruct-v0.2", "meta-llama/Llama-2-7b-hf", "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
    ];

    /// <summary>How often the live job stream checks for changes.</summary>
    public TimeSpan StreamCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Jobs one user may have that have not ended (0: no limit); one more is a 429.</summary>
    public int MaxActiveJobsPerUser { get; set; } = 25;

    /// <summary>Live job streams one user may have open at once, per node (0: no limit); one more is a 429.</summary>
    public int MaxStreamsPerUser { get; set; } = 10;

    /// <summary>How long one live stream stays open; then it ends and the client reconnects with Last-Event-ID.</summary>
    public TimeSpan StreamLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The base models offered, in the configured order: the first is the default.</summary>
    public IReadOnlyList<string> OfferedBaseModels => BaseModels.Count > 0 ? BaseModels : DefaultBaseModels;

    public IReadOnlySet<string> EffectiveBaseModels => OfferedBaseModels.ToHashSet(StringComparer.Ordinal);
}
