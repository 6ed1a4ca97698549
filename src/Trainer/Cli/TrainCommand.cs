using LoraPipeline.Trainer.Checkpoints;
using LoraPipeline.Trainer.Data;
using LoraPipeline.Trainer.Lora;
using LoraPipeline.Trainer.Native;
using LoraPipeline.Trainer.Training;

namespace LoraPipeline.Trainer.Cli;

/// <summary><c>lora-train train</c> and <c>lora-train job DIR</c>.</summary>
internal static class TrainCommand
{
    public const string TrainUsage = """
        usage: lora-train train --base DIR --data FILE --out DIR [options]
          --base DIR              Hugging Face checkpoint folder (config.json, safetensors, tokenizer)
          --data FILE             JSONL dataset (brightrun_lora_v4 chat or brightrun_lora_v3 prompt/completion)
          --out DIR               run folder: progress.jsonl, checkpoints/, final adapter (resumes if it holds a checkpoint)
          --epochs N              default 3
          --batch-size N          examples per optimiser step, default 4
          --micro-batch-size N    examples per forward pass (gradient accumulation); default: as many as fit 2048 tokens
          --learning-rate X       peak learning rate, default 0.0002
          --warmup-steps N        linear warm-up steps, default 0 (then cosine decay to 0)
          --weight-decay X        AdamW weight decay on the LoRA weights, default 0
          --rank N --alpha X --dropout X   LoRA r (16), lora_alpha (32), lora_dropout (0.05)
          --target-modules LIST   comma-separated (default q_proj,k_proj,v_proj,o_proj) or all-linear
          --max-seq-len N         longer examples are truncated (and counted), default 512
          --seed N                default 42
          --validation-split X    hold out this share of the training examples (chosen by the seed) as validation, default 0
          --validation-data FILE  a separate JSONL validation set: all its examples are validation examples
          --checkpoint-every N    also checkpoint every N steps (0: epoch ends only), default 50
          --keep-checkpoints K    default 3
          --chat-format NAME      llama3, chatml, llama2, mistral or raw (default: from tokenizer_config.json)
          --dataset-format NAME   brightrun_lora_v4, brightrun_lora_v3 or auto (default)
          --base-model-name NAME  base_model_name_or_path written into adapter_config.json
          --device cpu|cuda       default cpu
          --threads N             libtorch threads (default: one per core, at most 8; or LORA_TRAIN_THREADS)
        """;

    public const string JobUsage = """
        usage: lora-train job DIR [train options]
          Trains from DIR/job.json (the platform's submit request) and DIR/dataset.jsonl (and job.json's
          validation_dataset_path, relative to DIR, when it names one), writing everything into DIR. The base model is job.json's base_model_path, --base, or $LORA_TRAIN_MODELS/<base_model>.
          Command-line options override job.json.
        """;

    private static readonly string[] Options =
    [
        "base", "data", "out", "epochs", "batch-size", "micro-batch-size", "learning-rate", "warmup-steps", "weight-decay",
        "rank", "alpha", "dropout", "target-modules", "max-seq-len", "seed", "validation-split", "validation-data", "checkpoint-every", "keep-checkpoints",
        "chat-format", "dataset-format", "base-model-name", "device", "threads", "max-grad-norm",
    ];

    public static int Train(string[] args)
    {
        var a = Arguments.Parse("train", args, Options, []);
        if (a.Positional.Count > 0)
        {
            throw new TrainerInputException($"train: unexpected argument {a.Positional[0]} (see lora-train train --help)");
        }

        var options = Apply(a, new TrainingOptions
        {
            BaseModelPath = a.Required("base"),
            DataPath = a.Required("data"),
            OutputPath = a.Required("out"),
        });
        return Run(options);
    }

    public static int Job(string[] args)
    {
        var a = Arguments.Parse("job", args, Options, []);
        var directory = a.Single("job folder");
        var job = JobFile.Load(directory);
        var baseName = job.Text("base_model");
        var basePath = a.Text("base") ?? job.Text("base_model_path") ?? FromModelsRoot(baseName)
            ?? throw new TrainerInputException($"{job.Path}: no base_model_path, and base_model {baseName ?? "(none)"} is not under $LORA_TRAIN_MODELS; pass --base DIR");
        var options = new TrainingOptions
        {
            BaseModelPath = basePath,
            DataPath = a.Text("data") ?? job.Text("dataset_path") ?? Path.Combine(directory, "dataset.jsonl"),
            ValidationDataPath = job.Text("validation_dataset_path") is { } validation ? Path.Combine(directory, validation) : null,
            OutputPath = a.Text("out") ?? directory,
            BaseModelName = baseName,
            JobId = job.Text("job_id"),
            DatasetFormat = DatasetReader.ParseFormat(job.Text("dataset_format")),
            ChatFormat = job.Text("chat_format"),
            Epochs = job.Int("num_epochs") ?? 3,
            BatchSize = job.Int("batch_size") ?? 4,
            MicroBatchSize = job.Int("micro_batch_size"),
            LearningRate = job.Number("learning_rate") ?? 2e-4,
            Rank = job.Int("lora_rank") ?? 16,
            Alpha = job.Number("lora_alpha") ?? 32,
            Dropout = job.Number("lora_dropout") ?? 0.05,
            WarmupSteps = job.Int("warmup_steps") ?? 0,
            WeightDecay = job.Number("weight_decay") ?? 0,
            TargetModules = job.Strings("target_modules") ?? LoraSettings.DefaultTargets,
            MaxSeqLen = job.Int("max_seq_len") ?? 512,
            Seed = job.Int("seed") ?? 42,
            ValidationSplit = job.Number("validation_split") ?? 0,
            CheckpointEvery = job.Int("checkpoint_every") ?? 50,
            KeepCheckpoints = job.Int("keep_checkpoints") ?? 3,
            Device = job.Text("device") ?? "cpu",
        };
        return Run(Apply(a, options));
    }

    private static string? FromModelsRoot(string? baseModel)
    {
        var root = Environment.GetEnvironmentVariable("LORA_TRAIN_MODELS");
        if (string.IsNullOrEmpty(root) || string.IsNullOrEmpty(baseModel))
        {
            return null;
        }

        var candidate = Path.Combine(root, baseModel);
        return Directory.Exists(candidate) ? candidate : null;
    }

    private static TrainingOptions Apply(Arguments a, TrainingOptions o) => o with
    {
        BaseModelPath = a.Text("base") ?? o.BaseModelPath,
        DataPath = a.Text("data") ?? o.DataPath,
        ValidationDataPath = a.Text("validation-data") ?? o.ValidationDataPath,
        OutputPath = a.Text("out") ?? o.OutputPath,
        BaseModelName = a.Text("base-model-name") ?? o.BaseModelName,
        DatasetFormat = a.Has("dataset-format") ? DatasetReader.ParseFormat(a.Text("dataset-format")) : o.DatasetFormat,
        ChatFormat = a.Text("chat-format") ?? o.ChatFormat,
        Epochs = a.Int("epochs") ?? o.Epochs,
        BatchSize = a.Int("batch-size") ?? o.BatchSize,
        MicroBatchSize = a.Int("micro-batch-size") ?? o.MicroBatchSize,
        LearningRate = a.Double("learning-rate") ?? o.LearningRate,
        WarmupSteps = a.Int("warmup-steps") ?? o.WarmupSteps,
        WeightDecay = a.Double("weight-decay") ?? o.WeightDecay,
        Rank = a.Int("rank") ?? o.Rank,
        Alpha = a.Double("alpha") ?? o.Alpha,
        Dropout = a.Double("dropout") ?? o.Dropout,
        TargetModules = a.Has("target-modules") ? LoraSettings.Parse(a.Text("target-modules")) : o.TargetModules,
        MaxSeqLen = a.Int("max-seq-len") ?? o.MaxSeqLen,
        Seed = a.Long("seed") ?? o.Seed,
        ValidationSplit = a.Double("validation-split") ?? o.ValidationSplit,
        CheckpointEvery = a.Int("checkpoint-every") ?? o.CheckpointEvery,
        KeepCheckpoints = a.Int("keep-checkpoints") ?? o.KeepCheckpoints,
        Device = a.Text("device") ?? o.Device,
        Threads = a.Int("threads") ?? o.Threads,
        MaxGradNorm = a.Double("max-grad-norm") ?? o.MaxGradNorm,
    };

    private static int Run(TrainingOptions options)
    {
        options.Validate();
        using var stop = StopSignal.ListenToProcessSignals();
        TorchRuntime.Initialize(options.Threads);
        var result = new TrainingLoop(options, stop, Console.Out).Run();
        return result.Outcome == TrainingOutcome.Interrupted ? ExitCodes.Interrupted : ExitCodes.Success;
    }
}
