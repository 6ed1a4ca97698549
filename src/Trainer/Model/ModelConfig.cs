using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraPipeline.Trainer.Checkpoints;

namespace LoraPipeline.Trainer.Model;

/// <summary>RoPE frequency scaling from config.json's <c>rope_scaling</c> (transformers' modeling_rope_utils).</summary>
public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings);

/// <summary>
/// The fields of a Hugging Face <c>config.json</c> that a Llama- or Mistral-family decoder needs, with
/// transformers' defaults for those a checkpoint may leave out.
/// </summary>
public sealed record ModelConfig
{
    public static readonly IReadOnlyList<string> SupportedArchitectures = ["LlamaForCausalLM", "MistralForCausalLM"];

    public required string Architecture { get; init; }

    public required int VocabSize { get; init; }

    public required int HiddenSize { get; init; }

    public required int IntermediateSize { get; init; }

    public required int NumHiddenLayers { get; init; }

    public required int NumAttentionHeads { get; init; }

    public required int NumKeyValueHeads { get; init; }

    public required int HeadDim { get; init; }

    public double RmsNormEps { get; init; } = 1e-6;

    public double RopeTheta { get; init; } = 10000;

    public RopeScaling? RopeScaling { get; init; }

    public int MaxPositionEmbeddings { get; init; } = 2048;

    public bool TieWordEmbeddings { get; init; }

    public bool AttentionBias { get; init; }

    public bool MlpBias { get; init; }

    /// <summary>Mistral's sliding-window attention span; null = full causal attention.</summary>
    public int? SlidingWindow { get; init; }

    public int? BosTokenId { get; init; }

    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    public string? TorchDType { get; init; }

    public bool IsMistral => Architecture == "MistralForCausalLM";

    public static ModelConfig Load(string directory)
    {
        var path = Path.Combine(directory, "config.json");
        if (!File.Exists(path))
        {
            throw new TrainerInputException($"{path}: not found; a base model folder needs the Hugging Face config.json beside its weights");
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new TrainerInputException($"{path}: not valid JSON ({e.Message})", e);
        }

        return Parse(root as JsonObject ?? throw new TrainerInputException($"{path}: not a JSON object"), path);
    }

    public static ModelConfig Parse(JsonObject root, string path)
    {
        var architectures = root["architectures"] is JsonArray list ? list.Select(a => a?.GetValue<string>() ?? "").ToList() : [];
        var modelType = Text(root, "model_type");
        var architecture = architectures.FirstOrDefault(SupportedArchitectures.Contains)
            ?? modelType switch
            {
                "llama" when architectures.Count == 0 => "LlamaForCausalLM",
                "mistral" when architectures.Count == 0 => "MistralForCausalLM",
                _ => throw new TrainerInputException(
                    $"{path}: architecture {(architectures.Count > 0 ? string.Join(", ", architectures) : modelType ?? "(none)")} is not supported; the trainer handles {string.Join(" and ", SupportedArchitectures)}"),
            };

        var activation = Text(root, "hidden_act") ?? "silu";
        if (activation != "silu")
        {
            throw new TrainerInputException($"{path}: hidden_act {activation} is not supported (Llama and Mistral use silu)");
        }

        var hidden = Required(root, "hidden_size", path);
        var heads = Required(root, "num_attention_heads", path);
        var headDim = Integer(root, "head_dim") ?? hidden / heads;
        var kvHeads = Integer(root, "num_key_value_heads") ?? heads;
        if (heads % kvHeads != 0)
        {
            throw new TrainerInputException($"{path}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kvHeads}");
        }

        return new ModelConfig
        {
            Architecture = architecture,
            VocabSize = Required(root, "vocab_size", path),
            HiddenSize = hidden,
            IntermediateSize = Required(root, "intermediate_size", path),
            NumHiddenLayers = Required(root, "num_hidden_layers", path),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            RmsNormEps = Number(root, "rms_norm_eps") ?? 1e-6,
            RopeTheta = Number(root, "rope_theta") ?? 10000,
            RopeScaling = ParseRopeScaling(root["rope_scaling"], path),
            MaxPositionEmbeddings = Integer(root, "max_position_embeddings") ?? 2048,
            // transformers' LlamaConfig and MistralConfig both default tie_word_embeddings to false
            TieWordEmbeddings = root["tie_word_embeddings"]?.GetValue<bool>() ?? false,
            AttentionBias = root["attention_bias"]?.GetValue<bool>() ?? false,
            MlpBias = root["mlp_bias"]?.GetValue<bool>() ?? false,
            SlidingWindow = architecture == "MistralForCausalLM" ? Integer(root, "sliding_window") : null,
            BosTokenId = Integer(root, "bos_token_id"),
            EosTokenIds = IntegerList(root["eos_token_id"]),
            TorchDType = Text(root, "torch_dtype") ?? Text(root, "dtype"),
        };
    }

    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray(Architecture),
            ["model_type"] = IsMistral ? "mistral" : "llama",
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_dim"] = HeadDim,
            ["hidden_act"] = "silu",
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["attention_bias"] = AttentionBias,
            ["attention_dropout"] = 0.0,
            ["initializer_range"] = 0.02,
            ["torch_dtype"] = TorchDType ?? "float32",
            ["use_cache"] = true,
        };
        if (!IsMistral)
        {
            json["mlp_bias"] = MlpBias;
        }
        else
        {
            json["sliding_window"] = SlidingWindow;
        }

        if (RopeScaling is { } s)
        {
            json["rope_scaling"] = s.Type == "llama3"
                ? new JsonObject
                {
                    ["rope_type"] = "llama3",
                    ["factor"] = s.Factor,
                    ["low_freq_factor"] = s.LowFreqFactor,
                    ["high_freq_factor"] = s.HighFreqFactor,
                    ["original_max_position_embeddings"] = s.OriginalMaxPositionEmbeddings,
                }
                : new JsonObject { ["rope_type"] = s.Type, ["factor"] = s.Factor };
        }
        else
        {
            json["rope_scaling"] = null;
        }

        if (BosTokenId is { } bos)
        {
            json["bos_token_id"] = bos;
        }

        if (EosTokenIds.Count == 1)
        {
            json["eos_token_id"] = EosTokenIds[0];
        }
        else if (EosTokenIds.Count > 1)
        {
            json["eos_token_id"] = new JsonArray(EosTokenIds.Select(e => (JsonNode)e).ToArray());
        }

        return json;
    }

    private static RopeScaling? ParseRopeScaling(JsonNode? node, string path)
    {
        if (node is not JsonObject scaling)
        {
            return null;
        }

        // transformers renamed "type" to "rope_type" and still accepts the old key
        var type = Text(scaling, "rope_type") ?? Text(scaling, "type") ?? "default";
        switch (type)
        {
            case "default":
                return null;
            case "linear":
                return new RopeScaling("linear", Number(scaling, "factor") ?? throw Missing("factor"), 1, 1, 0);
            case "llama3":
                return new RopeScaling(
                    "llama3",
                    Number(scaling, "factor") ?? throw Missing("factor"),
                    Number(scaling, "low_freq_factor") ?? throw Missing("low_freq_factor"),
                    Number(scaling, "high_freq_factor") ?? throw Missing("high_freq_factor"),
                    Integer(scaling, "original_max_position_embeddings") ?? throw Missing("original_max_position_embeddings"));
            default:
                throw new TrainerInputException($"{path}: rope_scaling type {type} is not supported (default, linear and llama3 are)");
        }

        TrainerInputException Missing(string key) => new($"{path}: rope_scaling of type {type} lacks {key}");
    }

    private static int Required(JsonObject root, string key, string path) =>
        Integer(root, key) ?? throw new TrainerInputException($"{path}: {key} is missing");

    private static string? Text(JsonObject root, string key) =>
        root[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static int? Integer(JsonObject root, string key) =>
        root[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? (int)v.GetValue<double>() : null;

    private static double? Number(JsonObject root, string key) =>
        root[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;

    private static List<int> IntegerList(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => [(int)v.GetValue<double>()],
        JsonArray a => a.Where(x => x is JsonValue).Select(x => (int)x!.GetValue<double>()).ToList(),
        _ => [],
    };

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Architecture}: {NumHiddenLayers} layers, hidden {HiddenSize}, intermediate {IntermediateSize}, {NumAttentionHeads} heads / {NumKeyValueHeads} KV heads, vocab {VocabSize}");
}
