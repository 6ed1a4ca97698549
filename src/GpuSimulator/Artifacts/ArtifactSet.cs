using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace LoraPipeline.GpuSimulator.Artifacts;

internal sealed record ArtifactFile(string Name, string ContentType, long Length, Func<Stream> OpenRead);

internal sealed record ArtifactManifestEntry(string Name, long Size, string Sha256);

/// <summary>
/// The files a completed job produces, computed on request from the stored row and never stored:
/// <c>adapter_config.json</c>, <c>adapter_model.safetensors</c>, <c>training_args.json</c> and
/// <c>training_log.jsonl</c>; or, for a checkpoint, its <c>adapter_config.json</c> and
/// <c>adapter_model.safetensors</c> (values seeded by job and step, so every checkpoint and the final adapter differ).
/// Only the manifests (sizes and SHA-256) are cached, in the job's row.
/// </summary>
internal sealed class ArtifactSet
{
    public const string AdapterConfig = "adapter_config.json";
    public const string AdapterModel = "adapter_model.safetensors";
    public const string TrainingArgs = "training_args.json";
    public const string TrainingLog = "training_log.jsonl";

    public static readonly IReadOnlyList<string> FileNames = [AdapterConfig, AdapterModel, TrainingArgs, TrainingLog];

    private readonly JobRecord _job;
    private readonly JobSimulation _simulation;
    private readonly SavedCheckpoint? _checkpoint;
    private readonly ModelArchitecture _architecture;
    private readonly Lazy<SafetensorsAdapter> _adapter;

    /// <param name="checkpoint">The checkpoint whose files these are; null for the final files of a completed job.</param>
    public ArtifactSet(JobRecord job, JobSimulation simulation, SavedCheckpoint? checkpoint = null)
    {
        _job = job;
        _simulation = simulation;
        _checkpoint = checkpoint;
        _architecture = ModelArchitectures.Find(job.Hyperparameters.BaseModel)
            ?? throw new InvalidOperationException($"unsupported base model {job.Hyperparameters.BaseModel}");
        var seed = checkpoint is null ? DeterministicRandom.Seed(job.JobId) : CheckpointSeed(job.JobId, checkpoint.Step);
        _adapter = new Lazy<SafetensorsAdapter>(() => SafetensorsAdapter.Create(_architecture, job.Hyperparameters.LoraRank, seed));
    }

    /// <summary>The files of this set: the four final files, or a checkpoint's two.</summary>
    public IReadOnlyList<string> Names => _checkpoint is null ? FileNames : JobSimulation.CheckpointFiles;

    internal static ulong CheckpointSeed(Guid jobId, int step) =>
        DeterministicRandom.Mix(DeterministicRandom.Seed(jobId) ^ DeterministicRandom.Mix(0xC4EC_0000_0000UL + (ulong)step));

    public ArtifactFile? Find(string name) => name switch
    {
        AdapterConfig => Small(name, "application/json", AdapterConfigBytes()),
        AdapterModel => new ArtifactFile(name, "application/octet-stream", _adapter.Value.Length, _adapter.Value.OpenRead),
        TrainingArgs when _checkpoint is null => Small(name, "application/json", TrainingArgsBytes()),
        TrainingLog when _checkpoint is null => Small(name, "application/octet-stream", TrainingLogBytes()),
        _ => null,
    };

    public async Task<IReadOnlyList<ArtifactManifestEntry>> ComputeManifestAsync(CancellationToken cancellationToken)
    {
        var entries = new List<ArtifactManifestEntry>(Names.Count);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            foreach (var name in Names)
            {
                var file = Find(name)!;
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                await using (var stream = file.OpenRead())
                {
                    int read;
                    while ((read = await stream.ReadAsync(buffer.AsMemory(0, 1 << 20), cancellationToken)) > 0)
                    {
                        hash.AppendData(buffer, 0, read);
                    }
                }

                entries.Add(new ArtifactManifestEntry(name, file.Length, Convert.ToHexStringLower(hash.GetHashAndReset())));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return entries;
    }

    public IReadOnlyDictionary<string, object?> ModelMetadata()
    {
        var h = _job.Hyperparameters;
        var metadata = new Dictionary<string, object?>
        {
            ["base_model"] = h.BaseModel,
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["rank"] = h.LoraRank,
            ["alpha"] = h.LoraAlpha,
            ["dropout"] = h.LoraDropout,
            ["target_modules"] = ModelArchitecture.TargetModules,
            ["num_layers"] = _architecture.NumLayers,
            ["hidden_size"] = _architecture.HiddenSize,
            ["trainable_parameters"] = _architecture.TrainableParameters(h.LoraRank),
            ["dtype"] = "float16",
            ["format"] = "safetensors",
            ["total_steps"] = _simulation.TotalSteps,
            ["num_epochs"] = _simulation.Epochs,
            ["train_examples"] = _job.TrainExamples,
            ["validation_examples"] = _job.ValidationExamples,
        };
        if (_checkpoint is { } checkpoint)
        {
            metadata["checkpoint_step"] = checkpoint.Step;
            metadata["checkpoint_epoch"] = checkpoint.Epoch;
            metadata["checkpoint_created_at"] = checkpoint.CreatedAt;
            metadata["training_loss"] = checkpoint.TrainingLoss;
            metadata["validation_loss"] = checkpoint.ValidationLoss;
        }
        else
        {
            var final = _simulation.CurrentPoint(_simulation.EndState());
            metadata["final_training_loss"] = final?.TrainingLoss;
            metadata["final_validation_loss"] = final?.ValidationLoss;
        }

        return metadata;
    }

    private static ArtifactFile Small(string name, string contentType, byte[] bytes) =>
        new(name, contentType, bytes.LongLength, () => new MemoryStream(bytes, writable: false));

    private byte[] AdapterConfigBytes()
    {
        var h = _job.Hyperparameters;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartObject("alpha_pattern");
            w.WriteEndObject();
            w.WriteNull("auto_mapping");
            w.WriteString("base_model_name_or_path", h.BaseModel);
            w.WriteString("bias", "none");
            w.WriteBoolean("fan_in_fan_out", false);
            w.WriteBoolean("inference_mode", true);
            w.WriteBoolean("init_lora_weights", true);
            w.WriteNull("layers_pattern");
            w.WriteNull("layers_to_transform");
            if (h.LoraAlpha == Math.Floor(h.LoraAlpha) && Math.Abs(h.LoraAlpha) < int.MaxValue)
            {
                w.WriteNumber("lora_alpha", (int)h.LoraAlpha);
            }
            else
            {
                w.WriteNumber("lora_alpha", h.LoraAlpha);
            }

            w.WriteNumber("lora_dropout", h.LoraDropout);
            w.WriteNull("modules_to_save");
            w.WriteString("peft_type", "LORA");
            w.WriteNumber("r", h.LoraRank);
            w.WriteStartObject("rank_pattern");
            w.WriteEndObject();
            w.WriteNull("revision");
            w.WriteStartArray("target_modules");
            foreach (var module in ModelArchitecture.TargetModules)
            {
                w.WriteStringValue(module);
            }

            w.WriteEndArray();
            w.WriteString("task_type", "CAUSAL_LM");
            w.WriteBoolean("use_dora", false);
            w.WriteBoolean("use_rslora", false);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private byte[] TrainingArgsBytes()
    {
        var args = new
        {
            _job.JobId,
            _job.ExternalJobId,
            _job.Hyperparameters.BaseModel,
            _job.Hyperparameters,
            _job.GpuConfig,
            _job.TrainExamples,
            _job.ValidationExamples,
            _job.DatasetBytes,
            NumEpochs = _simulation.Epochs,
            _simulation.StepsPerEpoch,
            _simulation.TotalSteps,
            _simulation.WarmupSteps,
            _simulation.LogEvery,
            LrSchedulerType = "cosine",
            Optimizer = "adamw_torch",
            Fp16 = true,
        };
        return JsonSerializer.SerializeToUtf8Bytes(args, SimulatorJson.Indented);
    }

    /// <summary>
    /// One line per logged step, as the run that produced the adapter logged it: after a restart, the points the
    /// restarted attempt ran again replace the earlier ones (like a trainer's log restored from its checkpoint).
    /// </summary>
    private byte[] TrainingLogBytes()
    {
        var completed = _simulation.EndState();
        var points = new SortedDictionary<int, MetricPoint>();
        foreach (var point in _simulation.History(completed, 0))
        {
            points[point.Step] = point;
        }

        var builder = new StringBuilder();
        foreach (var point in points.Values)
        {
            builder.Append(JsonSerializer.Serialize(point, SimulatorJson.Options)).Append('\n');
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }
}
