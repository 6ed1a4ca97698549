using LoraPipeline.Trainer.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Model;

/// <summary>
/// A frozen linear layer of the base model (weight [out, in], optional bias) that may carry a LoRA
/// adapter. <see cref="Path"/> is its module path in transformers' model, e.g.
/// <c>model.layers.0.self_attn.q_proj</c>, which PEFT's adapter keys are built from.
/// </summary>
public sealed class Projection : IDisposable
{
    public Projection(string path, Tensor weight, Tensor? bias)
    {
        Path = path;
        Weight = weight;
        Bias = bias;
    }

    public string Path { get; }

    /// <summary>The last part of the path (q_proj, gate_proj, ...), which target_modules match.</summary>
    public string ModuleName => Path[(Path.LastIndexOf('.') + 1)..];

    public Tensor Weight { get; }

    public Tensor? Bias { get; }

    public long InFeatures => Weight.shape[1];

    public long OutFeatures => Weight.shape[0];

    public LoraAdapter? Lora { get; set; }

    public Tensor Forward(Tensor x, LoraRuntime runtime)
    {
        var y = nn.functional.linear(x, Weight, Bias);
        if (Lora is null)
        {
            return y;
        }

        using var delta = Lora.Delta(x, runtime);
        return y.add_(delta);
    }

    public void Dispose()
    {
        Weight.Dispose();
        Bias?.Dispose();
        Lora?.Dispose();
    }
}
