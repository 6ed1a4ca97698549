using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Model;

/// <summary>
/// Rotary position embeddings in transformers' "rotate_half" layout: the first and second halves of
/// each head's vector form the rotated pairs, and cos/sin repeat the frequencies twice. The inverse
/// frequencies are kept as a float[] rather than a tensor field (computed once, in double precision),
/// so no module ever mistakes them for a buffer.
/// </summary>
public sealed class Rope
{
    private readonly float[] _inverseFrequencies;

    public Rope(ModelConfig config)
    {
        _inverseFrequencies = InverseFrequencies(config);
    }

    public IReadOnlyList<float> InverseFrequencyValues => _inverseFrequencies;

    /// <summary>
    /// theta^(-2i/d) for i in [0, d/2), then the config's rope_scaling: "linear" divides by the factor;
    /// "llama3" (Llama 3.1) keeps high frequencies (wavelength below original/high_freq_factor), divides
    /// low ones (wavelength above original/low_freq_factor) by the factor, and blends in between.
    /// </summary>
    public static float[] InverseFrequencies(ModelConfig config)
    {
        var dim = config.HeadDim;
        var result = new float[dim / 2];
        for (var i = 0; i < result.Length; i++)
        {
            var inv = 1.0 / Math.Pow(config.RopeTheta, 2.0 * i / dim);
            result[i] = (float)Scale(inv, config.RopeScaling);
        }

        return result;
    }

    private static double Scale(double inv, RopeScaling? scaling)
    {
        switch (scaling)
        {
            case null:
                return inv;
            case { Type: "linear" }:
                return inv / scaling.Factor;
            default:
                var lowWavelength = scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor;
                var highWavelength = scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor;
                var wavelength = 2 * Math.PI / inv;
                if (wavelength < highWavelength)
                {
                    return inv;
                }

                if (wavelength > lowWavelength)
                {
                    return inv / scaling.Factor;
                }

                var smooth = ((scaling.OriginalMaxPositionEmbeddings / wavelength) - scaling.LowFreqFactor) / (scaling.HighFreqFactor - scaling.LowFreqFactor);
                return ((1 - smooth) * inv / scaling.Factor) + (smooth * inv);
        }
    }

    /// <summary>cos and sin of shape [T, head_dim] for positions start .. start+T-1, in float32.</summary>
    public (Tensor Cos, Tensor Sin) CosSin(long start, long length, Device device, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var positions = torch.arange(start, start + length, dtype: ScalarType.Float32, device: device);
        var inv = torch.tensor(_inverseFrequencies, dtype: ScalarType.Float32, device: device);
        var freqs = torch.outer(positions, inv);
        var emb = torch.cat([freqs, freqs], dim: -1);
        var cos = emb.cos().to_type(dtype);
        var sin = emb.sin().to_type(dtype);
        return (cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
    }

    /// <summary>x * cos + rotate_half(x) * sin, for x of shape [B, heads, T, head_dim].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = torch.NewDisposeScope();
        var half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = torch.cat([x2.neg(), x1], dim: -1);
        var result = x.mul(cos).add_(rotated.mul(sin));
        return result.MoveToOuterDisposeScope();
    }
}
