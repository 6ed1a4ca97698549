using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Model;

/// <summary>
/// Keys and values of the positions seen so far, per layer, before the GQA expansion
/// ([B, kv_heads, T, head_dim], RoPE already applied), so greedy decoding runs each new token once.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;

    public KvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    public long Length => _keys[0]?.shape[2] ?? 0;

    /// <summary>Appends this step's keys and values and returns the whole sequence's.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var allKeys = _keys[layer] is { } k ? cat([k, keys], dim: 2) : keys.alias();
        var allValues = _values[layer] is { } v ? cat([v, values], dim: 2) : values.alias();
        _keys[layer]?.Dispose();
        _values[layer]?.Dispose();
        _keys[layer] = allKeys.detach().DetachFromDisposeScope();
        _values[layer] = allValues.detach().DetachFromDisposeScope();
        return (_keys[layer]!, _values[layer]!);
    }

    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values))
        {
            t?.Dispose();
        }
    }
}
