namespace LoraPipeline.GpuSimulator;

/// <summary>Shape of one LoRA target module: the linear layer's input and output features.</summary>
internal sealed record LinearShape(string Module, int InFeatures, int OutFeatures);

/// <summary>The attention projections of a decoder-only base model that the simulated LoRA adapts.</summary>
internal sealed record ModelArchitecture(string BaseModel, int NumLayers, int HiddenSize, int KeyValueOutFeatures)
{
    public static readonly IReadOnlyList<string> TargetModules = ["q_proj", "k_proj", "v_proj", "o_proj"];

    public IReadOnlyList<LinearShape> Projections =>
    [
        new("q_proj", HiddenSize, HiddenSize),
        new("k_proj", HiddenSize, KeyValueOutFeatures),
        new("v_proj", HiddenSize, KeyValueOutFeatures),
        new("o_proj", HiddenSize, HiddenSize),
    ];

    /// <summary>Trainable parameters of a LoRA of rank r on the four projections of every layer.</summary>
    public long TrainableParameters(int rank) =>
        NumLayers * Projections.Sum(p => (long)rank * p.InFeatures + ((long)p.OutFeatures * rank));
}

internal static class ModelArchitectures
{
    private static readonly ModelArchitecture[] _all =
    [
        // 32 heads x 128, 8 key/value heads x 128
        new("mistralai/Mistral-7B-v0.1", 32, 4096, 1024),
        new("mistralai/Mistral-7B-Instruct-v0.2", 32, 4096, 1024),
        // multi-head attention: key/value as wide as the hidden state
        new("meta-llama/Llama-2-7b-hf", 32, 4096, 4096),
        // 32 heads x 64, 4 key/value heads x 64
        new("TinyLlama/TinyLlama-1.1B-Chat-v1.0", 22, 2048, 256),
    ];

    public static IReadOnlyList<string> SupportedBaseModels { get; } = _all.Select(a => a.BaseModel).ToArray();

    public static ModelArchitecture? Find(string? baseModel) =>
        _all.FirstOrDefault(a => string.Equals(a.BaseModel, baseModel, StringComparison.Ordinal));
}
