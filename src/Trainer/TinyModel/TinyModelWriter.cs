using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraPipeline.Trainer.Checkpoints;
using LoraPipeline.Trainer.Data;
using LoraPipeline.Trainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.TinyModel;

/// <summary>Shape and format of the checkpoint <c>lora-train tiny-model</c> writes.</summary>
public sealed record TinyModelOptions
{
    public string Architecture { get; init; } = "llama";

    public int Layers { get; init; } = 2;

    public int Hidden { get; init; } = 64;

    public int Heads { get; init; } = 4;

    /// <summary>Fewer KV heads than heads, so grouped-query attention is exercised.</summary>
    public int KvHeads { get; init; } = 2;

    public int? Intermediate { get; init; }

    public int Merges { get; init; } = 400;

    public double RopeTheta { get; init; } = 10000;

    public bool Llama3RopeScaling { get; init; }

    public bool TieEmbeddings { get; init; }

    public int? SlidingWindow { get; init; }

    public string DType { get; init; } = "f32";

    public int Shards { get; init; } = 1;

    public ChatFamily ChatFormat { get; init; } = ChatFamily.Llama3;

    public long Seed { get; init; } = 1234;

    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary>"bpe": a byte-level BPE tokenizer.json; "sentencepiece": a SentencePiece BPE tokenizer.model, as Llama 2 and Mistral ship.</summary>
    public string Tokenizer { get; init; } = "bpe";
}

/// <summary>
/// Writes a small random Llama/Mistral checkpoint folder as transformers would lay it out, with a real
/// byte-level BPE tokenizer trained on a built-in corpus, so demos and tests run where no weights can be
/// downloaded. Initialisation: normal(0, 0.02) for embeddings and projections (transformers' default),
/// norm weights 1 + normal(0, 0.1) (not all ones, so a swapped norm would show in tests), and lm_head
/// normal(0, 1/sqrt(hidden)): after the final RMSNorm |h| is about sqrt(hidden), so this gives logits of
/// unit spread; with 0.02 a frozen random base pins every logit near zero and caps how far LoRA can move
/// the loss (a pretrained base has no such limit).
/// </summary>
public static class TinyModelWriter
{
    private const string SplitPattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public static ModelConfig Write(string directory, TinyModelOptions options)
    {
        Directory.CreateDirectory(directory);
        ModelConfig config;
        List<(string Token, int Id)> specialIds;
        if (options.Tokenizer == "sentencepiece")
        {
            if (options.ChatFormat is ChatFamily.Llama3 or ChatFamily.ChatMl)
            {
                throw new TrainerInputException($"--tokenizer sentencepiece goes with --chat-format llama2, mistral or raw (its special tokens are <unk>, <s>, </s>)");
            }

            var pieces = SentencePieceModelWriter.Write(Path.Combine(directory, "tokenizer.model"), TinyCorpus.Text(), options.Merges);
            specialIds = [("<unk>", 0), ("<s>", 1), ("</s>", 2)];
            config = Config(options, pieces.Count, specialIds);
        }
        else if (options.Tokenizer == "bpe")
        {
            var special = SpecialTokens(options.ChatFormat);
            var (vocabulary, merges) = BpeTrainer.Train(TinyCorpus.Text(), SplitPattern, options.Merges);
            specialIds = special.Select((t, i) => (Token: t, Id: vocabulary.Count + i)).ToList();
            config = Config(options, vocabulary.Count + special.Count, specialIds);
            WriteTokenizer(directory, vocabulary, merges, specialIds);
        }
        else
        {
            throw new TrainerInputException($"--tokenizer {options.Tokenizer} is unknown (bpe or sentencepiece)");
        }

        WriteTokenizerConfig(directory, options.ChatFormat, specialIds);
        WriteGenerationConfig(directory, config);
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson().ToJsonString(Indented));
        WriteWeights(directory, config, options);
        return config;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static List<string> SpecialTokens(ChatFamily family) => family switch
    {
        ChatFamily.Llama3 => ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
        ChatFamily.ChatMl => ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        _ => ["<unk>", "<s>", "</s>"],
    };

    private static (string Bos, string Eos) BosEos(ChatFamily family) => family switch
    {
        ChatFamily.Llama3 => ("<|begin_of_text|>", "<|eot_id|>"),
        ChatFamily.ChatMl => ("<|endoftext|>", "<|im_end|>"),
        _ => ("<s>", "</s>"),
    };

    private static ModelConfig Config(TinyModelOptions o, int vocabSize, List<(string Token, int Id)> special)
    {
        var (bos, eos) = BosEos(o.ChatFormat);
        var ids = special.ToDictionary(s => s.Token, s => s.Id, StringComparer.Ordinal);
        var eosIds = new List<int> { ids[eos] };
        if (o.ChatFormat == ChatFamily.Llama3)
        {
            eosIds.Insert(0, ids["<|end_of_text|>"]);
        }

        var mistral = o.Architecture.Equals("mistral", StringComparison.OrdinalIgnoreCase);
        if (!mistral && !o.Architecture.Equals("llama", StringComparison.OrdinalIgnoreCase))
        {
            throw new TrainerInputException($"--architecture {o.Architecture} is unknown (llama or mistral)");
        }

        if (o.Hidden % o.Heads != 0 || o.Heads % o.KvHeads != 0 || (o.Hidden / o.Heads) % 2 != 0)
        {
            throw new TrainerInputException($"--hidden {o.Hidden}, --heads {o.Heads}, --kv-heads {o.KvHeads}: hidden must split into heads of even size, heads into KV groups");
        }

        return new ModelConfig
        {
            Architecture = mistral ? "MistralForCausalLM" : "LlamaForCausalLM",
            VocabSize = vocabSize,
            HiddenSize = o.Hidden,
            IntermediateSize = o.Intermediate ?? ((o.Hidden * 11 / 4) + 15) / 16 * 16,
            NumHiddenLayers = o.Layers,
            NumAttentionHeads = o.Heads,
            NumKeyValueHeads = o.KvHeads,
            HeadDim = o.Hidden / o.Heads,
            RmsNormEps = 1e-5,
            RopeTheta = o.RopeTheta,
            RopeScaling = o.Llama3RopeScaling ? new RopeScaling("llama3", 8, 1, 4, 64) : null,
            MaxPositionEmbeddings = o.MaxPositionEmbeddings,
            TieWordEmbeddings = o.TieEmbeddings,
            SlidingWindow = mistral ? o.SlidingWindow : null,
            BosTokenId = ids[bos],
            EosTokenIds = eosIds,
            TorchDType = o.DType switch { "bf16" => "bfloat16", "f16" => "float16", _ => "float32" },
        };
    }

    private static void WriteWeights(string directory, ModelConfig config, TinyModelOptions options)
    {
        var storeAs = options.DType switch
        {
            "f32" => ScalarType.Float32,
            "bf16" => ScalarType.BFloat16,
            "f16" => ScalarType.Float16,
            _ => throw new TrainerInputException($"--dtype {options.DType} is unknown (f32, bf16, f16)"),
        };
        var generator = new Generator((ulong)options.Seed, torch.CPU);
        var tensors = new List<KeyValuePair<string, Tensor>>();
        try
        {
            using (torch.no_grad())
            {
                foreach (var (name, shape) in LlamaModel.ExpectedTensors(config))
                {
                    var t = torch.empty(shape, dtype: ScalarType.Float32);
                    if (name.EndsWith("norm.weight", StringComparison.Ordinal))
                    {
                        t.normal_(1.0, 0.1, generator);
                    }
                    else if (name.EndsWith(".bias", StringComparison.Ordinal))
                    {
                        t.normal_(0, 0.02, generator);
                    }
                    else if (name == "lm_head.weight" || (config.TieWordEmbeddings && name == "model.embed_tokens.weight"))
                    {
                        t.normal_(0, 1.0 / Math.Sqrt(config.HiddenSize), generator);
                    }
                    else
                    {
                        t.normal_(0, 0.02, generator);
                    }

                    tensors.Add(new(name, storeAs == ScalarType.Float32 ? t : Convert(t, storeAs)));
                }
            }

            WriteShards(directory, tensors, Math.Max(1, options.Shards));
        }
        finally
        {
            foreach (var (_, t) in tensors)
            {
                t.Dispose();
            }

            generator.Dispose();
        }
    }

    private static Tensor Convert(Tensor t, ScalarType type)
    {
        var converted = t.to_type(type);
        t.Dispose();
        return converted;
    }

    /// <summary>One model.safetensors, or N shards of about equal size plus model.safetensors.index.json.</summary>
    public static void WriteShards(string directory, List<KeyValuePair<string, Tensor>> tensors, int shards)
    {
        if (shards == 1)
        {
            SafetensorsWriter.Write(Path.Combine(directory, BaseModelLoader.SingleFile), tensors);
            return;
        }

        var total = tensors.Sum(t => t.Value.numel() * t.Value.element_size());
        var perShard = (total + shards - 1) / shards;
        var groups = new List<List<KeyValuePair<string, Tensor>>> { new() };
        long inGroup = 0;
        foreach (var t in tensors)
        {
            var size = t.Value.numel() * t.Value.element_size();
            if (inGroup > 0 && inGroup + size > perShard && groups.Count < shards)
            {
                groups.Add([]);
                inGroup = 0;
            }

            groups[^1].Add(t);
            inGroup += size;
        }

        var weightMap = new JsonObject();
        for (var i = 0; i < groups.Count; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"model-{i + 1:00000}-of-{groups.Count:00000}.safetensors");
            SafetensorsWriter.Write(Path.Combine(directory, name), groups[i]);
            foreach (var (tensor, _) in groups[i])
            {
                weightMap[tensor] = name;
            }
        }

        var index = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = total },
            ["weight_map"] = weightMap,
        };
        File.WriteAllText(Path.Combine(directory, BaseModelLoader.IndexFile), index.ToJsonString(Indented));
    }

    private static void WriteTokenizer(string directory, List<string> vocabulary, List<(string Left, string Right)> merges, List<(string Token, int Id)> special)
    {
        var vocab = new JsonObject();
        for (var i = 0; i < vocabulary.Count; i++)
        {
            vocab[vocabulary[i]] = i;
        }

        var added = new JsonArray();
        foreach (var (token, id) in special)
        {
            added.Add(new JsonObject
            {
                ["id"] = id,
                ["content"] = token,
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = false,
                ["special"] = true,
            });
        }

        var tokenizer = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split",
                        ["pattern"] = new JsonObject { ["Regex"] = SplitPattern },
                        ["behavior"] = "Isolated",
                        ["invert"] = false,
                    },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
            },
            ["post_processor"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = false, ["use_regex"] = true },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(merges.Select(m => (JsonNode)$"{m.Left} {m.Right}").ToArray()),
            },
        };
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), tokenizer.ToJsonString(Indented));
    }

    private static void WriteTokenizerConfig(string directory, ChatFamily family, List<(string Token, int Id)> special)
    {
        var (bos, eos) = BosEos(family);
        var decoder = new JsonObject();
        foreach (var (token, id) in special)
        {
            decoder[id.ToString(CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["content"] = token,
                ["lstrip"] = false,
                ["normalized"] = false,
                ["rstrip"] = false,
                ["single_word"] = false,
                ["special"] = true,
            };
        }

        var config = new JsonObject
        {
            ["added_tokens_decoder"] = decoder,
            ["bos_token"] = family == ChatFamily.ChatMl ? null : bos,
            ["eos_token"] = eos,
            ["chat_template"] = ChatTemplates.For(family),
            ["clean_up_tokenization_spaces"] = false,
            ["model_max_length"] = 2048,
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
        };
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), config.ToJsonString(Indented));
    }

    private static void WriteGenerationConfig(string directory, ModelConfig config)
    {
        var generation = new JsonObject
        {
            ["bos_token_id"] = config.BosTokenId,
            ["eos_token_id"] = new JsonArray(config.EosTokenIds.Select(e => (JsonNode)e).ToArray()),
            ["do_sample"] = false,
        };
        File.WriteAllText(Path.Combine(directory, "generation_config.json"), generation.ToJsonString(Indented));
    }
}
