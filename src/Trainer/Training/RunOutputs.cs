using System.Text.Json;
using System.Text.Json.Nodes;
using LoraPipeline.Trainer.Checkpoints;
using LoraPipeline.Trainer.Data;
using LoraPipeline.Trainer.Lora;
using LoraPipeline.Trainer.Model;

namespace LoraPipeline.Trainer.Training;

/// <summary>
/// The files a finished run leaves in its folder, in the layout the simulator's artifacts use (so the
/// platform's Artifacts module collects them unchanged): <c>adapter_model.safetensors</c>,
/// <c>adapter_config.json</c>, <c>training_args.json</c>, <c>training_log.jsonl</c>, plus <c>metrics.json</c>.
/// </summary>
public static class RunOutputs
{
    public const string TrainingArgs = "training_args.json";
    public const string TrainingLog = "training_log.jsonl";
    public const string Metrics = "metrics.json";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static bool IsCompleted(string directory) =>
        File.Exists(Path.Combine(directory, Metrics)) && File.Exists(Path.Combine(directory, PeftAdapter.WeightsFile));

    /// <summary>1 for a fresh folder; one more than the attempts the progress file records.</summary>
    public static int NextAttempt(string output)
    {
        var attempts = 0;
        foreach (var line in ProgressLog.ReadAll(output))
        {
            using (line)
            {
                if (line.RootElement.TryGetProperty("type", out var t) && t.GetString() is "started" or "resumed")
                {
                    attempts++;
                }
            }
        }

        return attempts + 1;
    }

    public static void WriteTrainingArgs(TrainingOptions o, TextTokenizer tokenizer, ChatFormat format, PreparedData data, int totalSteps, int stepsPerEpoch, int microBatch, ModelConfig config)
    {
        var args = new JsonObject
        {
            ["job_id"] = o.JobId,
            ["base_model"] = o.BaseModelName ?? o.BaseModelPath,
            ["base_model_path"] = Path.GetFullPath(o.BaseModelPath),
            ["architecture"] = config.Architecture,
            ["dataset_path"] = Path.GetFullPath(o.DataPath),
            ["validation_dataset_path"] = o.ValidationDataPath is null ? null : Path.GetFullPath(o.ValidationDataPath),
            ["dataset_format"] = DatasetReader.Name(o.DatasetFormat),
            ["chat_format"] = ChatFormat.Name(format.Family),
            ["chat_format_source"] = format.Reason,
            ["tokenizer"] = tokenizer.Description,
            ["hyperparameters"] = new JsonObject
            {
                ["learning_rate"] = o.LearningRate,
                ["batch_size"] = o.BatchSize,
                ["micro_batch_size"] = microBatch,
                ["gradient_accumulation_steps"] = (o.BatchSize + microBatch - 1) / microBatch,
                ["num_epochs"] = o.Epochs,
                ["lora_rank"] = o.Rank,
                ["lora_alpha"] = o.Alpha,
                ["lora_dropout"] = o.Dropout,
                ["warmup_steps"] = o.WarmupSteps,
                ["weight_decay"] = o.WeightDecay,
                ["target_modules"] = new JsonArray(o.Lora.ResolvedTargets().Select(t => (JsonNode)t).ToArray()),
                ["max_seq_len"] = o.MaxSeqLen,
                ["seed"] = o.Seed,
                ["max_grad_norm"] = o.MaxGradNorm,
            },
            ["device"] = o.Device,
            ["compute_dtype"] = o.Device == "cuda" ? "bfloat16" : "float32",
            ["train_examples"] = data.Train.Count,
            ["validation_examples"] = data.Validation.Count,
            ["examples_truncated"] = data.Truncated,
            ["examples_without_trained_tokens"] = data.WithoutTrainedTokens,
            ["steps_per_epoch"] = stepsPerEpoch,
            ["total_steps"] = totalSteps,
            ["checkpoint_every"] = o.CheckpointEvery,
            ["keep_checkpoints"] = o.KeepCheckpoints,
            ["lr_scheduler_type"] = "cosine",
            ["optimizer"] = "adamw_torch",
            ["trainer"] = "lora-train",
        };
        File.WriteAllText(Path.Combine(o.OutputPath, TrainingArgs), args.ToJsonString(Indented));
    }

    /// <summary>Writes the adapter, training_log.jsonl and metrics.json; returns the metrics.</summary>
    public static JsonObject WriteFinal(TrainingOptions o, LlamaModel model, LoraSettings settings, string baseName, PreparedData data, int steps, long tokens, double duration, double? trainingLoss, double? validationLoss)
    {
        PeftAdapter.Save(o.OutputPath, model, settings, baseName);
        WriteTrainingLog(o.OutputPath);
        var metrics = new JsonObject
        {
            ["final_training_loss"] = trainingLoss,
            ["final_validation_loss"] = validationLoss,
            ["final_validation_perplexity"] = validationLoss is { } v ? Math.Exp(v) : null,
            ["tokens_trained"] = tokens,
            ["train_examples"] = data.Train.Count,
            ["validation_examples"] = data.Validation.Count,
            ["examples_truncated"] = data.Truncated,
            ["steps"] = steps,
            ["epochs"] = o.Epochs,
            ["duration_seconds"] = Math.Round(duration, 3),
        };
        File.WriteAllText(Path.Combine(o.OutputPath, Metrics), metrics.ToJsonString(Indented));
        return metrics;
    }

    /// <summary>
    /// training_log.jsonl as the simulator writes it (snake_case MetricPoint: step, epoch, training_loss,
    /// validation_loss, learning_rate, gradient_norm, throughput, timestamp), one line per step, from the
    /// last progress line of each step (a resumed run repeats steps).
    /// </summary>
    private static void WriteTrainingLog(string directory)
    {
        var steps = new SortedDictionary<int, JsonObject>();
        var validation = new Dictionary<int, double>();
        foreach (var line in ProgressLog.ReadAll(directory))
        {
            using (line)
            {
                var root = line.RootElement;
                var type = root.GetProperty("type").GetString();
                if (type == "step")
                {
                    var step = root.GetProperty("step").GetInt32();
                    steps[step] = new JsonObject
                    {
                        ["step"] = step,
                        ["epoch"] = root.GetProperty("epoch").GetInt32(),
                        ["training_loss"] = root.GetProperty("training_loss").ValueKind == JsonValueKind.Number ? root.GetProperty("training_loss").GetDouble() : null,
                        ["learning_rate"] = root.GetProperty("learning_rate").GetDouble(),
                        ["gradient_norm"] = root.GetProperty("gradient_norm").GetDouble(),
                        ["throughput"] = root.GetProperty("tokens_per_second").GetDouble(),
                        ["timestamp"] = root.GetProperty("timestamp").GetString(),
                    };
                }
                else if (type == "epoch_end")
                {
                    validation[root.GetProperty("step").GetInt32()] = root.GetProperty("validation_loss").GetDouble();
                }
            }
        }

        using var writer = new StreamWriter(Path.Combine(directory, TrainingLog));
        foreach (var (step, point) in steps)
        {
            if (validation.TryGetValue(step, out var v))
            {
                point["validation_loss"] = v;
            }

            writer.Write(point.ToJsonString());
            writer.Write('\n');
        }
    }
}
