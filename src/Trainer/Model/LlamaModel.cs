using System.Globalization;
using LoraPipeline.Trainer.Lora;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Model;

/// <summary>
/// A LlamaForCausalLM / MistralForCausalLM decoder built from tensors named as transformers names them
/// (<c>model.embed_tokens.weight</c>, <c>model.layers.N.self_attn.q_proj.weight</c>, ...,
/// <c>lm_head.weight</c>). Plain classes hold the tensors instead of TorchSharp modules: the frozen base
/// never needs a module's state-dict machinery, and the trainable LoRA tensors are listed explicitly.
/// </summary>
public sealed class LlamaModel : IDisposable
{
    private readonly Dictionary<string, Tensor> _weights;

    private LlamaModel(ModelConfig config, Dictionary<string, Tensor> weights, Device device, ScalarType dtype)
    {
        Config = config;
        Device = device;
        ComputeType = dtype;
        _weights = weights;
        Rope = new Rope(config);
        Embed = weights["model.embed_tokens.weight"];
        FinalNorm = weights["model.norm.weight"];
        LmHead = config.TieWordEmbeddings ? Embed : weights["lm_head.weight"];
        Layers = Enumerable.Range(0, config.NumHiddenLayers).Select(BuildLayer).ToArray();
    }

    public ModelConfig Config { get; }

    public Device Device { get; }

    /// <summary>float32 on CPU; bfloat16 on CUDA.</summary>
    public ScalarType ComputeType { get; }

    public Rope Rope { get; }

    public Tensor Embed { get; }

    public Tensor FinalNorm { get; }

    /// <summary>The output projection; the embedding matrix itself when tie_word_embeddings is set.</summary>
    public Tensor LmHead { get; }

    public IReadOnlyList<DecoderLayer> Layers { get; }

    public LoraRuntime Lora { get; } = new();

    public IEnumerable<Projection> Projections => Layers.SelectMany(l => l.Projections);

    /// <summary>The base weights by transformers name (lm_head absent when tied).</summary>
    public IReadOnlyDictionary<string, Tensor> Weights => _weights;

    /// <summary>Every tensor a checkpoint of this config holds, with its shape, in file order.</summary>
    public static IReadOnlyList<(string Name, long[] Shape)> ExpectedTensors(ModelConfig c)
    {
        var list = new List<(string, long[])> { ("model.embed_tokens.weight", [c.VocabSize, c.HiddenSize]) };
        long q = (long)c.NumAttentionHeads * c.HeadDim;
        long kv = (long)c.NumKeyValueHeads * c.HeadDim;
        for (var i = 0; i < c.NumHiddenLayers; i++)
        {
            var p = string.Create(CultureInfo.InvariantCulture, $"model.layers.{i}.");
            list.Add((p + "input_layernorm.weight", [c.HiddenSize]));
            AddLinear(p + "self_attn.q_proj", q, c.HiddenSize, c.AttentionBias);
            AddLinear(p + "self_attn.k_proj", kv, c.HiddenSize, c.AttentionBias);
            AddLinear(p + "self_attn.v_proj", kv, c.HiddenSize, c.AttentionBias);
            AddLinear(p + "self_attn.o_proj", c.HiddenSize, q, c.AttentionBias);
            list.Add((p + "post_attention_layernorm.weight", [c.HiddenSize]));
            AddLinear(p + "mlp.gate_proj", c.IntermediateSize, c.HiddenSize, c.MlpBias);
            AddLinear(p + "mlp.up_proj", c.IntermediateSize, c.HiddenSize, c.MlpBias);
            AddLinear(p + "mlp.down_proj", c.HiddenSize, c.IntermediateSize, c.MlpBias);
        }

        list.Add(("model.norm.weight", [c.HiddenSize]));
        if (!c.TieWordEmbeddings)
        {
            list.Add(("lm_head.weight", [c.VocabSize, c.HiddenSize]));
        }

        return list;

        void AddLinear(string path, long outFeatures, long inFeatures, bool bias)
        {
            list.Add((path + ".weight", [outFeatures, inFeatures]));
            if (bias)
            {
                list.Add((path + ".bias", [outFeatures]));
            }
        }
    }

    /// <summary>Takes ownership of the tensors, which must match <see cref="ExpectedTensors"/>.</summary>
    public static LlamaModel FromWeights(ModelConfig config, Dictionary<string, Tensor> weights, Device device, ScalarType dtype)
    {
        foreach (var (name, shape) in ExpectedTensors(config))
        {
            if (!weights.TryGetValue(name, out var t))
            {
                throw new ArgumentException($"tensor {name} missing", nameof(weights));
            }

            if (!t.shape.SequenceEqual(shape))
            {
                throw new ArgumentException($"tensor {name} has shape [{string.Join(", ", t.shape)}], expected [{string.Join(", ", shape)}]", nameof(weights));
            }
        }

        return new LlamaModel(config, weights, device, dtype);
    }

    /// <summary>Logits (float32, [B, T, vocab]) for token ids [B, T].</summary>
    public Tensor Forward(Tensor inputIds, KvCache? cache = null)
    {
        using var scope = torch.NewDisposeScope();
        var hidden = Hidden(inputIds, cache);
        return Logits(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>The final-norm hidden states [B, T, hidden] for token ids [B, T].</summary>
    public Tensor Hidden(Tensor inputIds, KvCache? cache = null)
    {
        using var scope = torch.NewDisposeScope();
        var (batch, length) = (inputIds.shape[0], inputIds.shape[1]);
        var x = Embed.index_select(0, inputIds.reshape(-1)).view(batch, length, Config.HiddenSize);
        var (cos, sin) = Rope.CosSin(cache?.Length ?? 0, length, Device, ComputeType);
        foreach (var layer in Layers)
        {
            x = layer.Forward(x, cos, sin, Lora, cache);
        }

        return RmsNorm.Forward(x, FinalNorm, Config.RmsNormEps).MoveToOuterDisposeScope();
    }

    /// <summary>lm_head applied to hidden states of any leading shape, returned in float32.</summary>
    public Tensor Logits(Tensor hidden)
    {
        var logits = nn.functional.linear(hidden, LmHead);
        if (logits.dtype == ScalarType.Float32)
        {
            return logits;
        }

        var f32 = logits.to_type(ScalarType.Float32);
        logits.Dispose();
        return f32;
    }

    public void Dispose()
    {
        foreach (var layer in Layers)
        {
            layer.Dispose();
        }

        Embed.Dispose();
        FinalNorm.Dispose();
        if (!Config.TieWordEmbeddings)
        {
            LmHead.Dispose();
        }
    }

    private DecoderLayer BuildLayer(int index)
    {
        var p = string.Create(CultureInfo.InvariantCulture, $"model.layers.{index}.");
        var attention = new Attention(Config, Linear(p + "self_attn.q_proj"), Linear(p + "self_attn.k_proj"), Linear(p + "self_attn.v_proj"), Linear(p + "self_attn.o_proj"));
        var mlp = new Mlp(Linear(p + "mlp.gate_proj"), Linear(p + "mlp.up_proj"), Linear(p + "mlp.down_proj"));
        return new DecoderLayer(Config, index, _weights[p + "input_layernorm.weight"], attention, _weights[p + "post_attention_layernorm.weight"], mlp);

        Projection Linear(string path) =>
            new(path, _weights[path + ".weight"], _weights.GetValueOrDefault(path + ".bias"));
    }
}
