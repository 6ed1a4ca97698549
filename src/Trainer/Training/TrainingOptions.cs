using System.Text.Json.Nodes;
using LoraPipeline.Trainer.Checkpoints;
using LoraPipeline.Trainer.Data;
using LoraPipeline.Trainer.Lora;

namespace LoraPipeline.Trainer.Training;

/// <summary>Everything a training run needs, after command-line flags and job.json are merged.</summary>
public sealed record TrainingOptions
{
    public required string BaseModelPath { get; init; }

    public required string DataPath { get; init; }

    public required string OutputPath { get; init; }

    /// <summary>A separate validation dataset (the platform's validation file): every example in it is a validation example.</summary>
    public string? ValidationDataPath { get; init; }

    /// <summary>What adapter_config.json names as base_model_name_or_path (job.json's base_model, else the folder).</summary>
    public string? BaseModelName { get; init; }

    public string? JobId { get; init; }

    public DatasetFormat DatasetFormat { get; init; } = DatasetFormat.Auto;

    public string? ChatFormat { get; init; }

    public int Epochs { get; init; } = 3;

    public int BatchSize { get; init; } = 4;

    /// <summary>Examples per forward/backward pass; null picks one that fits (gradient accumulation makes up the batch).</summary>
    public int? MicroBatchSize { get; init; }

    public double LearningRate { get; init; } = 2e-4;

    public int Rank { get; init; } = 16;

    public double Alpha { get; init; } = 32;

    public double Dropout { get; init; } = 0.05;

    public IReadOnlyList<string> TargetModules { get; init; } = LoraSettings.DefaultTargets;

    public int MaxSeqLen { get; init; } = 512;

    public long Seed { get; init; } = 42;

    /// <summary>Share of the training examples held out as validation examples, chosen with <see cref="Seed"/> (0: none).</summary>
    public double ValidationSplit { get; init; }

    public int WarmupSteps { get; init; }

    public double WeightDecay { get; init; }

    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Save a checkpoint every N optimiser steps (0: only at epoch ends).</summary>
    public int CheckpointEvery { get; init; } = 50;

    public int KeepCheckpoints { get; init; } = 3;

    public string Device { get; init; } = "cpu";

    public int? Threads { get; init; }

    public LoraSettings Lora => new(Rank, Alpha, Dropout, TargetModules);

    public void Validate()
    {
        Require(Epochs >= 1, $"epochs {Epochs} must be at least 1");
        Require(BatchSize >= 1, $"batch size {BatchSize} must be at least 1");
        Require(MicroBatchSize is null or >= 1, $"micro-batch size {MicroBatchSize} must be at least 1");
        Require(LearningRate > 0, $"learning rate {LearningRate} must be positive");
        Require(MaxSeqLen >= 2, $"max sequence length {MaxSeqLen} must be at least 2");
        Require(ValidationSplit is >= 0 and <= ValidationSplitter.MaxShare, $"validation split {ValidationSplit} must be between 0 and {ValidationSplitter.MaxShare}");
        Require(WarmupSteps >= 0, $"warmup steps {WarmupSteps} must not be negative");
        Require(WeightDecay >= 0, $"weight decay {WeightDecay} must not be negative");
        Require(CheckpointEvery >= 0, $"checkpoint-every {CheckpointEvery} must not be negative");
        Require(KeepCheckpoints >= 1, $"keep-checkpoints {KeepCheckpoints} must be at least 1");
        Require(Device is "cpu" or "cuda", $"device {Device} is unknown (cpu or cuda)");
        Lora.Validate();
        Lora.ResolvedTargets();
    }

    /// <summary>
    /// The settings that decide the adapter's numbers; a resume must find the same ones. Paths are left
    /// out (the data and base model are fingerprinted by content), so a job folder may move between nodes.
    /// </summary>
    public JsonObject DeterminingSettings()
    {
        var settings = CoreSettings();
        if (ValidationSplit > 0)
        {
            // only when set, so the checkpoints of runs without a split keep their fingerprint
            settings["validation_split"] = ValidationSplit;
        }

        return settings;
    }

    private JsonObject CoreSettings() => new()
    {
        ["dataset_format"] = DatasetReader.Name(DatasetFormat),
        ["chat_format"] = ChatFormat,
        ["num_epochs"] = Epochs,
        ["batch_size"] = BatchSize,
        ["micro_batch_size"] = MicroBatchSize,
        ["learning_rate"] = LearningRate,
        ["lora_rank"] = Rank,
        ["lora_alpha"] = Alpha,
        ["lora_dropout"] = Dropout,
        ["target_modules"] = new JsonArray(TargetModules.Select(t => (JsonNode)t).ToArray()),
        ["max_seq_len"] = MaxSeqLen,
        ["seed"] = Seed,
        ["warmup_steps"] = WarmupSteps,
        ["weight_decay"] = WeightDecay,
        ["max_grad_norm"] = MaxGradNorm,
    };

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new TrainerInputException(message);
        }
    }
}
