using LoraPipeline.Trainer.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Model;

/// <summary>SwiGLU feed-forward: down_proj(silu(gate_proj(x)) * up_proj(x)).</summary>
public sealed class Mlp : IDisposable
{
    public Mlp(Projection gate, Projection up, Projection down)
    {
        Gate = gate;
        Up = up;
        Down = down;
    }

    public Projection Gate { get; }

    public Projection Up { get; }

    public Projection Down { get; }

    public Tensor Forward(Tensor x, LoraRuntime runtime)
    {
        using var scope = torch.NewDisposeScope();
        var hidden = nn.functional.silu(Gate.Forward(x, runtime)).mul(Up.Forward(x, runtime));
        return Down.Forward(hidden, runtime).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Gate.Dispose();
        Up.Dispose();
        Down.Dispose();
    }
}
