using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraPipeline.Trainer.Lora;
using LoraPipeline.Trainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Checkpoints;

/// <summary>
/// A LoRA adapter in PEFT's on-disk format: <c>adapter_model.safetensors</c> with keys
/// <c>base_model.model.&lt;module path&gt;.lora_A.weight</c> ([r, in]) and <c>.lora_B.weight</c> ([out, r]),
/// and <c>adapter_config.json</c> with LoraConfig's fields as PEFT writes them (sorted keys).
/// </summary>
public static class PeftAdapter
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    private const string Prefix = "base_model.model.";

    public static string KeyA(Projection p) => $"{Prefix}{p.Path}.lora_A.weight";

    public static string KeyB(Projection p) => $"{Prefix}{p.Path}.lora_B.weight";

    public static void Save(string directory, LlamaModel model, LoraSettings settings, string baseModelName)
    {
        Directory.CreateDirectory(directory);
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var p in model.Projections.Where(p => p.Lora is not null))
        {
            tensors.Add(new(KeyA(p), p.Lora!.A.detach()));
            tensors.Add(new(KeyB(p), p.Lora!.B.detach()));
        }

        try
        {
            SafetensorsWriter.Write(Path.Combine(directory, WeightsFile), tensors);
        }
        finally
        {
            foreach (var (_, t) in tensors)
            {
                t.Dispose();
            }
        }

        File.WriteAllText(Path.Combine(directory, ConfigFile), ConfigJson(settings, baseModelName));
    }

    /// <summary>
    /// PEFT LoraConfig fields (the set PEFT 0.10+ reads back; sorted as PEFT's json.dumps(sort_keys=True)
    /// writes them). target_modules is the resolved list, as PEFT stores "all-linear" after resolving it.
    /// lora_alpha is written as an integer when it is one (the platform's inspector reads it as such).
    /// </summary>
    public static string ConfigJson(LoraSettings settings, string baseModelName)
    {
        var alpha = settings.Alpha == Math.Floor(settings.Alpha) ? JsonValue.Create((long)settings.Alpha) : JsonValue.Create(settings.Alpha);
        var fields = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["alpha_pattern"] = new JsonObject(),
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = baseModelName,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["layer_replication"] = null,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["loftq_config"] = new JsonObject(),
            ["lora_alpha"] = alpha,
            ["lora_dropout"] = settings.Dropout,
            ["megatron_config"] = null,
            ["megatron_core"] = "megatron.core",
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = settings.Rank,
            ["rank_pattern"] = new JsonObject(),
            ["revision"] = null,
            ["target_modules"] = new JsonArray(settings.ResolvedTargets().Select(t => (JsonNode)t).ToArray()),
            ["task_type"] = "CAUSAL_LM",
            ["use_dora"] = false,
            ["use_rslora"] = false,
        };
        var json = new JsonObject();
        foreach (var (key, value) in fields)
        {
            json[key] = value;
        }

        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads an adapter folder and attaches its weights to the matching layers of <paramref name="model"/>.</summary>
    public static LoraSettings Load(string directory, LlamaModel model)
    {
        var configPath = Path.Combine(directory, ConfigFile);
        var weightsPath = Path.Combine(directory, WeightsFile);
        if (!File.Exists(configPath))
        {
            throw new TrainerInputException($"{configPath}: not found; an adapter folder holds {ConfigFile} and {WeightsFile}");
        }

        JsonObject config;
        try
        {
            config = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject ?? throw new TrainerInputException($"{configPath}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new TrainerInputException($"{configPath}: not valid JSON ({e.Message})", e);
        }

        if (config["peft_type"]?.GetValue<string>() is { } type && type != "LORA")
        {
            throw new TrainerInputException($"{configPath}: peft_type {type} is not LORA");
        }

        if (config["use_dora"]?.GetValue<bool>() == true)
        {
            throw new TrainerInputException($"{configPath}: DoRA adapters (use_dora) are not supported");
        }

        var rank = (int)(config["r"]?.GetValue<double>() ?? throw new TrainerInputException($"{configPath}: r is missing"));
        var alpha = config["lora_alpha"]?.GetValue<double>() ?? rank;
        var dropout = config["lora_dropout"]?.GetValue<double>() ?? 0;
        var rslora = config["use_rslora"]?.GetValue<bool>() == true;
        var targets = config["target_modules"] switch
        {
            JsonArray list => list.Select(t => t!.GetValue<string>()).ToList(),
            JsonValue v => [v.GetValue<string>()],
            _ => LoraSettings.DefaultTargets.ToList(),
        };

        using var reader = SafetensorsReader.Open(weightsPath);
        var byPath = model.Projections.ToDictionary(p => p.Path, StringComparer.Ordinal);
        var pairs = new Dictionary<string, (Tensor? A, Tensor? B)>(StringComparer.Ordinal);
        foreach (var name in reader.Entries.Keys)
        {
            var (path, isA) = ParseKey(weightsPath, name);
            if (!byPath.TryGetValue(path, out var projection))
            {
                throw new TrainerInputException($"{weightsPath}: tensor {name} adapts {path}, which the base model does not have");
            }

            var tensor = reader.Read(name, ScalarType.Float32);
            var expected = isA ? new[] { (long)rank, projection.InFeatures } : [projection.OutFeatures, rank];
            if (!tensor.shape.SequenceEqual(expected))
            {
                var shape = string.Join(", ", tensor.shape);
                tensor.Dispose();
                throw new TrainerInputException($"{weightsPath}: tensor {name} has shape [{shape}], expected [{string.Join(", ", expected)}] (r = {rank} from {ConfigFile})");
            }

            var moved = model.Device.type == DeviceType.CPU ? tensor : tensor.to(model.Device);
            var current = pairs.GetValueOrDefault(path);
            pairs[path] = isA ? (moved, current.B) : (current.A, moved);
        }

        foreach (var (path, (a, b)) in pairs)
        {
            if (a is null || b is null)
            {
                throw new TrainerInputException($"{weightsPath}: {path} has lora_{(a is null ? "A" : "B")} missing");
            }

            var projection = byPath[path];
            projection.Lora?.Dispose();
            // rsLoRA scales by alpha / sqrt(r): fold that into an equivalent plain alpha
            var effectiveAlpha = rslora ? alpha * Math.Sqrt(rank) : alpha;
            projection.Lora = new LoraAdapter(a, b, effectiveAlpha, dropout);
        }

        if (pairs.Count == 0)
        {
            throw new TrainerInputException($"{weightsPath}: holds no lora_A/lora_B tensors");
        }

        return new LoraSettings(rank, alpha, dropout, targets);
    }

    private static (string Path, bool IsA) ParseKey(string file, string key)
    {
        var name = key.StartsWith(Prefix, StringComparison.Ordinal) ? key[Prefix.Length..] : key;
        foreach (var (suffix, isA) in new[] { (".lora_A.weight", true), (".lora_B.weight", false), (".lora_A.default.weight", true), (".lora_B.default.weight", false) })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return (name[..^suffix.Length], isA);
            }
        }

        throw new TrainerInputException(string.Create(CultureInfo.InvariantCulture, $"{file}: tensor {key} is not a LoRA lora_A/lora_B weight"));
    }
}
