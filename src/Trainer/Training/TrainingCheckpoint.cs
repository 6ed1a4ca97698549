using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraPipeline.Trainer.Checkpoints;
using LoraPipeline.Trainer.Lora;
using LoraPipeline.Trainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Training;

/// <summary>Where a run stands at a step boundary: what a checkpoint restores besides the tensors.</summary>
public sealed record TrainerState
{
    public required int Step { get; init; }

    public required int Epoch { get; init; }

    public required int TotalSteps { get; init; }

    public required int StepsPerEpoch { get; init; }

    public required int OptimizerSteps { get; init; }

    public required double LearningRate { get; init; }

    public required double ElapsedSeconds { get; init; }

    public required long TokensTrained { get; init; }

    public double? TrainingLoss { get; init; }

    public double? ValidationLoss { get; init; }

    public required string Fingerprint { get; init; }

    /// <summary>The dropout generator's state (libtorch's CPU generator: 5056 bytes) at this step boundary.</summary>
    public required byte[] GeneratorState { get; init; }

    public required long Seed { get; init; }
}

/// <summary>
/// <c>checkpoints/step-N/</c>: the adapter in PEFT format (loadable on its own), the AdamW moments
/// (<c>optimizer.safetensors</c>), <c>trainer_state.json</c> (optimiser and scheduler step, the dropout
/// generator's state, the data position and seed, counters) and <c>checkpoint.json</c>. A checkpoint is
/// written into a temporary folder and renamed into place, so a kill mid-save never leaves a partial
/// "latest"; only the last K are kept.
/// </summary>
public static class TrainingCheckpoint
{
    public const string Folder = "checkpoints";
    private const string StateFile = "trainer_state.json";
    private const string OptimizerFile = "optimizer.safetensors";
    private const string SummaryFile = "checkpoint.json";
    private const string TempPrefix = ".tmp-";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string RelativePath(int step) => string.Create(CultureInfo.InvariantCulture, $"{Folder}/step-{step}");

    /// <summary>Writes checkpoint step-N atomically and prunes old ones; returns its path relative to the run folder.</summary>
    public static string Save(string runDirectory, LlamaModel model, LoraSettings settings, string baseModelName, IReadOnlyList<Projection> adapted, AdamW optimizer, TrainerState state, int keep)
    {
        var root = Path.Combine(runDirectory, Folder);
        Directory.CreateDirectory(root);
        var relative = RelativePath(state.Step);
        var final = Path.Combine(runDirectory, relative);
        var temporary = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"{TempPrefix}step-{state.Step}-{Environment.ProcessId}"));
        if (Directory.Exists(temporary))
        {
            Directory.Delete(temporary, recursive: true);
        }

        Directory.CreateDirectory(temporary);
        PeftAdapter.Save(temporary, model, settings, baseModelName);
        var moments = new List<KeyValuePair<string, Tensor>>();
        var keys = ParameterKeys(adapted);
        for (var i = 0; i < keys.Count; i++)
        {
            moments.Add(new($"{keys[i]}.exp_avg", optimizer.ExpAvg[i]));
            moments.Add(new($"{keys[i]}.exp_avg_sq", optimizer.ExpAvgSq[i]));
        }

        SafetensorsWriter.Write(Path.Combine(temporary, OptimizerFile), moments);
        WriteDurably(Path.Combine(temporary, StateFile), StateJson(state, optimizer));
        var summary = new JsonObject
        {
            ["step"] = state.Step,
            ["epoch"] = state.Epoch,
            ["timestamp"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["training_loss"] = state.TrainingLoss,
        };
        if (state.ValidationLoss is { } v)
        {
            summary["validation_loss"] = v;
        }

        // written last: a folder is a checkpoint only once it holds checkpoint.json
        WriteDurably(Path.Combine(temporary, SummaryFile), summary.ToJsonString(Indented));
        if (Directory.Exists(final))
        {
            var old = Path.Combine(root, string.Create(CultureInfo.InvariantCulture, $"{TempPrefix}old-{state.Step}-{Environment.ProcessId}"));
            Directory.Move(final, old);
            Directory.Move(temporary, final);
            Directory.Delete(old, recursive: true);
        }
        else
        {
            Directory.Move(temporary, final);
        }

        Prune(root, keep);
        return relative;
    }

    /// <summary>The newest complete checkpoint of a run folder, or null.</summary>
    public static (string Path, TrainerState State)? Latest(string runDirectory)
    {
        var root = Path.Combine(runDirectory, Folder);
        if (!Directory.Exists(root))
        {
            return null;
        }

        foreach (var (dir, _) in Steps(root).OrderByDescending(s => s.Step))
        {
            var statePath = Path.Combine(dir, StateFile);
            if (File.Exists(Path.Combine(dir, SummaryFile)) && File.Exists(statePath))
            {
                return (dir, ReadState(statePath));
            }
        }

        return null;
    }

    /// <summary>Copies a checkpoint's LoRA weights and AdamW moments into the live tensors.</summary>
    public static void Restore(string checkpoint, IReadOnlyList<Projection> adapted, AdamW optimizer, int optimizerSteps)
    {
        using var _ = torch.no_grad();
        using var adapter = SafetensorsReader.Open(Path.Combine(checkpoint, PeftAdapter.WeightsFile));
        using var moments = SafetensorsReader.Open(Path.Combine(checkpoint, OptimizerFile));
        var keys = ParameterKeys(adapted);
        var parameters = Parameters(adapted);
        var expAvg = new List<Tensor>();
        var expAvgSq = new List<Tensor>();
        try
        {
            for (var i = 0; i < keys.Count; i++)
            {
                using var value = adapter.Read(keys[i], ScalarType.Float32);
                if (!value.shape.SequenceEqual(parameters[i].shape))
                {
                    throw new TrainerInputException($"{adapter.Path}: tensor {keys[i]} has shape [{string.Join(", ", value.shape)}], the run's adapter [{string.Join(", ", parameters[i].shape)}]");
                }

                parameters[i].copy_(value);
                expAvg.Add(moments.Read($"{keys[i]}.exp_avg", ScalarType.Float32));
                expAvgSq.Add(moments.Read($"{keys[i]}.exp_avg_sq", ScalarType.Float32));
            }

            optimizer.Restore(expAvg, expAvgSq, optimizerSteps);
        }
        finally
        {
            foreach (var t in expAvg.Concat(expAvgSq))
            {
                t.Dispose();
            }
        }
    }

    /// <summary>Removes temporary folders a killed save left behind.</summary>
    public static void CleanTemporary(string runDirectory)
    {
        var root = Path.Combine(runDirectory, Folder);
        if (!Directory.Exists(root))
        {
            return;
        }

        foreach (var dir in Directory.EnumerateDirectories(root, TempPrefix + "*"))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A and B of each adapted layer, in model order: the optimiser's parameter list.</summary>
    public static List<Tensor> Parameters(IReadOnlyList<Projection> adapted) =>
        adapted.SelectMany(p => new[] { p.Lora!.A, p.Lora!.B }).ToList();

    private static List<string> ParameterKeys(IReadOnlyList<Projection> adapted) =>
        adapted.SelectMany(p => new[] { PeftAdapter.KeyA(p), PeftAdapter.KeyB(p) }).ToList();

    private static IEnumerable<(string Dir, int Step)> Steps(string root)
    {
        foreach (var dir in Directory.EnumerateDirectories(root, "step-*"))
        {
            if (int.TryParse(Path.GetFileName(dir)["step-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var step))
            {
                yield return (dir, step);
            }
        }
    }

    private static void Prune(string root, int keep)
    {
        foreach (var (dir, _) in Steps(root).OrderByDescending(s => s.Step).Skip(keep))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string StateJson(TrainerState s, AdamW optimizer)
    {
        var json = new JsonObject
        {
            ["step"] = s.Step,
            ["epoch"] = s.Epoch,
            ["total_steps"] = s.TotalSteps,
            ["optimizer"] = new JsonObject
            {
                ["type"] = "adamw",
                ["step"] = s.OptimizerSteps,
                ["beta1"] = optimizer.Beta1,
                ["beta2"] = optimizer.Beta2,
                ["eps"] = optimizer.Eps,
                ["weight_decay"] = optimizer.WeightDecay,
                ["moments"] = OptimizerFile,
            },
            ["scheduler"] = new JsonObject
            {
                ["type"] = "linear_warmup_cosine",
                ["step"] = s.Step,
                ["last_learning_rate"] = s.LearningRate,
            },
            ["rng"] = new JsonObject
            {
                ["kind"] = "torch.Generator (CPU, mt19937)",
                ["state_base64"] = Convert.ToBase64String(s.GeneratorState),
            },
            ["data"] = new JsonObject
            {
                ["seed"] = s.Seed,
                ["steps_per_epoch"] = s.StepsPerEpoch,
                ["epoch"] = s.Epoch,
                ["next_batch_in_epoch"] = s.Step % s.StepsPerEpoch,
                ["shuffle"] = "Fisher-Yates over SplitMix64(seed, epoch)",
            },
            ["elapsed_seconds"] = s.ElapsedSeconds,
            ["tokens_trained"] = s.TokensTrained,
            ["training_loss"] = s.TrainingLoss,
            ["validation_loss"] = s.ValidationLoss,
            ["fingerprint"] = s.Fingerprint,
        };
        return json.ToJsonString(Indented);
    }

    private static TrainerState ReadState(string path)
    {
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        return new TrainerState
        {
            Step = json["step"]!.GetValue<int>(),
            Epoch = json["epoch"]!.GetValue<int>(),
            TotalSteps = json["total_steps"]!.GetValue<int>(),
            StepsPerEpoch = json["data"]!["steps_per_epoch"]!.GetValue<int>(),
            OptimizerSteps = json["optimizer"]!["step"]!.GetValue<int>(),
            LearningRate = json["scheduler"]!["last_learning_rate"]!.GetValue<double>(),
            ElapsedSeconds = json["elapsed_seconds"]!.GetValue<double>(),
            TokensTrained = json["tokens_trained"]!.GetValue<long>(),
            TrainingLoss = json["training_loss"]?.GetValue<double>(),
            ValidationLoss = json["validation_loss"]?.GetValue<double>(),
            Fingerprint = json["fingerprint"]!.GetValue<string>(),
            GeneratorState = Convert.FromBase64String(json["rng"]!["state_base64"]!.GetValue<string>()),
            Seed = json["data"]!["seed"]!.GetValue<long>(),
        };
    }

    private static void WriteDurably(string path, string text)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        stream.Write(bytes);
        stream.Flush(flushToDisk: true);
    }
}
