using LoraPipeline.Trainer.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Model;

/// <summary>Pre-norm decoder block: h = x + attn(norm1(x)); out = h + mlp(norm2(h)).</summary>
public sealed class DecoderLayer : IDisposable
{
    private readonly double _eps;

    public DecoderLayer(ModelConfig config, int index, Tensor inputNorm, Attention attention, Tensor postAttentionNorm, Mlp mlp)
    {
        _eps = config.RmsNormEps;
        Index = index;
        InputNorm = inputNorm;
        SelfAttention = attention;
        PostAttentionNorm = postAttentionNorm;
        Mlp = mlp;
    }

    public int Index { get; }

    public Tensor InputNorm { get; }

    public Attention SelfAttention { get; }

    public Tensor PostAttentionNorm { get; }

    public Mlp Mlp { get; }

    public IEnumerable<Projection> Projections =>
        [SelfAttention.Q, SelfAttention.K, SelfAttention.V, SelfAttention.O, Mlp.Gate, Mlp.Up, Mlp.Down];

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, LoraRuntime runtime, KvCache? cache)
    {
        using var scope = torch.NewDisposeScope();
        var attended = SelfAttention.Forward(RmsNorm.Forward(x, InputNorm, _eps), cos, sin, runtime, cache, Index);
        var h = x.add(attended);
        var output = h.add(Mlp.Forward(RmsNorm.Forward(h, PostAttentionNorm, _eps), runtime));
        return output.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        InputNorm.Dispose();
        SelfAttention.Dispose();
        PostAttentionNorm.Dispose();
        Mlp.Dispose();
    }
}
