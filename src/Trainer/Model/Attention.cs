using LoraPipeline.Trainer.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Model;

/// <summary>
/// Llama/Mistral self-attention: q/k/v projections, RoPE on q and k, grouped-query attention (each
/// key/value head serves num_heads / num_kv_heads query heads, expanded by hand because TorchSharp's
/// SDPA has no enable_gqa), softmax(q k^T / sqrt(head_dim)) with the causal mask (and Mistral's sliding
/// window: key j is visible from query i when i - window < j <= i), then o_proj.
/// </summary>
public sealed class Attention : IDisposable
{
    private readonly ModelConfig _config;

    public Attention(ModelConfig config, Projection q, Projection k, Projection v, Projection o)
    {
        _config = config;
        Q = q;
        K = k;
        V = v;
        O = o;
    }

    public Projection Q { get; }

    public Projection K { get; }

    public Projection V { get; }

    public Projection O { get; }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, LoraRuntime runtime, KvCache? cache, int layer)
    {
        using var scope = torch.NewDisposeScope();
        var (batch, length) = (x.shape[0], x.shape[1]);
        var heads = _config.NumAttentionHeads;
        var kvHeads = _config.NumKeyValueHeads;
        var headDim = _config.HeadDim;

        var q = Q.Forward(x, runtime).view(batch, length, heads, headDim).transpose(1, 2);
        var k = K.Forward(x, runtime).view(batch, length, kvHeads, headDim).transpose(1, 2);
        var v = V.Forward(x, runtime).view(batch, length, kvHeads, headDim).transpose(1, 2);
        q = Rope.Apply(q, cos, sin);
        k = Rope.Apply(k, cos, sin);
        if (cache is not null)
        {
            (k, v) = cache.Append(layer, k, v);
        }

        var keyLength = k.shape[2];
        k = RepeatKv(k, heads / kvHeads);
        v = RepeatKv(v, heads / kvHeads);
        var mask = Mask(length, keyLength, x.device, q.dtype);
        var attended = mask is null && length == keyLength
            ? nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: null, p: 0, is_casual: true)
            : nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask, p: 0, is_casual: false);
        var merged = attended.transpose(1, 2).reshape(batch, length, heads * headDim);
        return O.Forward(merged, runtime).MoveToOuterDisposeScope();
    }

    /// <summary>[B, kv_heads, T, d] -> [B, kv_heads * groups, T, d], each KV head repeated for its group.</summary>
    public static Tensor RepeatKv(Tensor x, long groups)
    {
        if (groups == 1)
        {
            return x;
        }

        var (b, h, t, d) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        return x.unsqueeze(2).expand(b, h, groups, t, d).reshape(b, h * groups, t, d);
    }

    /// <summary>
    /// Null when SDPA's own causal flag (queries = keys) or no mask at all (one query after a cache)
    /// is exact; otherwise an additive mask for queries at the last <paramref name="queries"/> positions.
    /// </summary>
    private Tensor? Mask(long queries, long keys, Device device, ScalarType dtype)
    {
        var window = _config.SlidingWindow;
        var windowMatters = window is { } w && keys > w;
        if (!windowMatters && (queries == keys || queries == 1))
        {
            return null;
        }

        var offset = keys - queries;
        var queryPositions = torch.arange(offset, keys, device: device).unsqueeze(1);
        var keyPositions = torch.arange(0, keys, device: device).unsqueeze(0);
        var allowed = keyPositions.le(queryPositions);
        if (windowMatters)
        {
            allowed = allowed.logical_and(keyPositions.gt(queryPositions.sub(window!.Value)));
        }

        return torch.zeros([queries, keys], dtype: dtype, device: device).masked_fill(allowed.logical_not(), double.NegativeInfinity);
    }

    public void Dispose()
    {
        Q.Dispose();
        K.Dispose();
        V.Dispose();
        O.Dispose();
    }
}
