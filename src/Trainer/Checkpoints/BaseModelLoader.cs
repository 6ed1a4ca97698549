using System.Text.Json;
using LoraPipeline.Trainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Checkpoints;

/// <summary>
/// Loads a Hugging Face checkpoint folder: <c>config.json</c> plus <c>model.safetensors</c>, or the
/// shards listed by <c>model.safetensors.index.json</c>. Tensors are streamed one by one from disk
/// straight into the compute dtype (F32/F16/BF16 inputs), so a model is never first random-initialised
/// and no file is ever read whole. Every problem names the file and the tensor.
/// </summary>
public static class BaseModelLoader
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    public static LlamaModel Load(string directory, Device device, ScalarType dtype, TextWriter? log = null)
    {
        if (!Directory.Exists(directory))
        {
            throw new TrainerInputException($"{directory}: base model folder not found");
        }

        var config = ModelConfig.Load(directory);
        var locations = LocateTensors(directory);
        var readers = new Dictionary<string, SafetensorsReader>(StringComparer.Ordinal);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, shape) in LlamaModel.ExpectedTensors(config))
            {
                if (!locations.TryGetValue(name, out var file))
                {
                    var where = locations.Count == 0 ? directory : string.Join(", ", locations.Values.Distinct().Select(Path.GetFileName));
                    var hint = name == "lm_head.weight" ? " (config.json sets tie_word_embeddings false, so the checkpoint must hold lm_head.weight)" : "";
                    throw new TrainerInputException($"{Path.Combine(directory, locations.Count == 0 ? SingleFile : IndexFile)}: tensor {name} not found in {where}{hint}");
                }

                if (!readers.TryGetValue(file, out var reader))
                {
                    reader = SafetensorsReader.Open(file);
                    readers[file] = reader;
                }

                var entry = reader.Entries.TryGetValue(name, out var e)
                    ? e
                    : throw new TrainerInputException($"{file}: tensor {name} not found, although {IndexFile} maps it to this file");
                if (!entry.Shape.SequenceEqual(shape))
                {
                    throw new TrainerInputException($"{file}: tensor {name} has shape [{string.Join(", ", entry.Shape)}], but config.json implies [{string.Join(", ", shape)}]");
                }

                if (entry.DType is not ("F32" or "F16" or "BF16"))
                {
                    throw new TrainerInputException($"{file}: tensor {name} is {entry.DType}; base weights must be F32, F16 or BF16");
                }

                var tensor = reader.Read(name, dtype);
                weights[name] = device.type == DeviceType.CPU ? tensor : MoveTo(tensor, device);
            }

            WarnAboutUnused(locations.Keys, config, log);
            return LlamaModel.FromWeights(config, weights, device, dtype);
        }
        catch
        {
            foreach (var t in weights.Values)
            {
                t.Dispose();
            }

            throw;
        }
        finally
        {
            foreach (var reader in readers.Values)
            {
                reader.Dispose();
            }
        }
    }

    /// <summary>Tensor name -> file, from the index (checking every shard exists) or the single file.</summary>
    public static Dictionary<string, string> LocateTensors(string directory)
    {
        var index = Path.Combine(directory, IndexFile);
        var single = Path.Combine(directory, SingleFile);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(index))
        {
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllBytes(index));
                if (!document.RootElement.TryGetProperty("weight_map", out var weightMap) || weightMap.ValueKind != JsonValueKind.Object)
                {
                    throw new TrainerInputException($"{index}: has no weight_map object");
                }

                foreach (var item in weightMap.EnumerateObject())
                {
                    map[item.Name] = Path.Combine(directory, item.Value.GetString() ?? "");
                }
            }
            catch (JsonException e)
            {
                throw new TrainerInputException($"{index}: not valid JSON ({e.Message})", e);
            }

            foreach (var shard in map.GroupBy(kv => kv.Value))
            {
                if (!File.Exists(shard.Key))
                {
                    throw new TrainerInputException($"{shard.Key}: shard not found; {IndexFile} maps {shard.Count()} tensors to it, e.g. {shard.First().Key}");
                }
            }

            return map;
        }

        if (File.Exists(single))
        {
            using var reader = SafetensorsReader.Open(single);
            foreach (var name in reader.Entries.Keys)
            {
                map[name] = single;
            }

            return map;
        }

        var hint = Directory.EnumerateFiles(directory, "*.bin").Any()
            ? " (the folder has PyTorch .bin weights: convert them to safetensors first)"
            : "";
        throw new TrainerInputException($"{directory}: neither {SingleFile} nor {IndexFile} found{hint}");
    }

    private static Tensor MoveTo(Tensor tensor, Device device)
    {
        var moved = tensor.to(device);
        tensor.Dispose();
        return moved;
    }

    private static void WarnAboutUnused(IEnumerable<string> present, ModelConfig config, TextWriter? log)
    {
        var expected = LlamaModel.ExpectedTensors(config).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var unused = present
            .Where(n => !expected.Contains(n) && !n.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal))
            .Where(n => !(config.TieWordEmbeddings && n == "lm_head.weight"))
            .ToList();
        if (unused.Count > 0 && log is not null)
        {
            log.WriteLine($"warning: {unused.Count} tensors of the checkpoint are not used, e.g. {unused[0]}");
        }
    }
}
