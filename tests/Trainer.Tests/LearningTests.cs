using System.Text.Json;
using LoraPipeline.Artifacts.Inspecting;
using LoraPipeline.Trainer.Checkpoints;
using LoraPipeline.Trainer.Data;
using LoraPipeline.Trainer.Generation;
using LoraPipeline.Trainer.Model;
using LoraPipeline.Trainer.Tests.Support;
using LoraPipeline.Trainer.TinyModel;
using LoraPipeline.Trainer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Tests;

/// <summary>One real training run on the synthetic capitals set, shared by the tests that inspect it.</summary>
public sealed class CapitalsRun : IDisposable
{
    public CapitalsRun()
    {
        Base = TinyModels.Default;
        Data = Capitals.WriteDataset(Folder.Combine("capitals.jsonl"), validation: 5);
        Output = Folder.Combine("run");
        var options = new TrainingOptions
        {
            BaseModelPath = Base,
            DataPath = Data,
            OutputPath = Output,
            BaseModelName = "tiny-llama",
            Epochs = 100,
            BatchSize = 20,
            LearningRate = 5e-3,
            TargetModules = ["all-linear"],
            Dropout = 0.05,
            CheckpointEvery = 0,
            KeepCheckpoints = 2,
            Seed = 42,
        };
        using var stop = new StopSignal();
        Result = new TrainingLoop(options, stop, TextWriter.Null).Run();
    }

    public TempFolder Folder { get; } = new();

    public string Base { get; }

    public string Data { get; }

    public string Output { get; }

    public TrainingResult Result { get; }

    public void Dispose() => Folder.Dispose();
}

public class LearningTests(CapitalsRun run) : IClassFixture<CapitalsRun>
{
    [Fact]
    public void the_training_loss_falls_at_least_threefold()
    {
        Assert.Equal(TrainingOutcome.Completed, run.Result.Outcome);
        var losses = ProgressFile.OfType(run.Output, "step").Select(l => l.GetProperty("training_loss").GetDouble()).ToList();
        Assert.Equal(100, losses.Count);
        var first = losses[0];
        var last = losses.TakeLast(5).Average();
        Assert.True(first / last >= 3, $"loss {first:F3} -> {last:F3}");
    }

    [Fact]
    public void greedy_answers_match_the_training_answers_with_the_adapter_and_not_without()
    {
        var tokenizer = TextTokenizer.Load(run.Base);
        var renderer = new ChatRenderer(tokenizer, ChatFormat.Detect(run.Base, tokenizer, null));
        using var plain = BaseModelLoader.Load(run.Base, torch.CPU, ScalarType.Float32);
        using var adapted = BaseModelLoader.Load(run.Base, torch.CPU, ScalarType.Float32);
        PeftAdapter.Load(run.Output, adapted);

        int withAdapter = 0, without = 0;
        foreach (var (country, capital) in Capitals.Pairs)
        {
            var prompt = renderer.RenderPrompt(Capitals.Prompt(country));
            var stop = renderer.StopTokenIds.ToHashSet();
            withAdapter += tokenizer.Decode(GreedyDecoder.Generate(adapted, prompt, stop, 12)) == capital ? 1 : 0;
            without += tokenizer.Decode(GreedyDecoder.Generate(plain, prompt, stop, 12)) == capital ? 1 : 0;
        }

        Assert.True(withAdapter >= 16, $"{withAdapter}/20 answers right with the adapter");
        Assert.True(without < 2, $"{without}/20 answers right without it");
    }

    [Fact]
    public async Task the_outputs_pass_the_platform_artifact_inspector()
    {
        await using var config = File.OpenRead(Path.Combine(run.Output, AdapterInspector.ConfigFile));
        var (adapterConfig, configProblem) = AdapterInspector.ReadConfig(config);
        Assert.Null(configProblem);
        var weights = Path.Combine(run.Output, AdapterInspector.WeightsFile);
        await using var file = File.OpenRead(weights);
        var (header, headerProblem) = await AdapterInspector.ReadHeaderAsync(file, new FileInfo(weights).Length, CancellationToken.None);
        Assert.Null(headerProblem);
        Assert.Null(AdapterInspector.CheckConsistency(adapterConfig!, header!));

        var description = AdapterInspector.Describe(adapterConfig, header);
        Assert.Equal(("LORA", 16, 32, "F32"), (description.PeftType, description.Rank, description.Alpha, description.DType));
        Assert.Equal(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], description.TargetModules);
        Assert.Equal(2 * 7 * 2, description.TensorCount); // 2 layers x 7 linears x (A, B)
        Assert.Contains(header!.Tensors, t => t.Name == "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight" && t.Shape.SequenceEqual(new long[] { 64, 16 }));
        Assert.Contains(header.Tensors, t => t.Name == "base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight" && t.Shape.SequenceEqual(new long[] { 16, 64 }));
    }

    [Fact]
    public void the_run_folder_holds_the_simulator_layout_and_the_metrics()
    {
        foreach (var name in new[] { "adapter_config.json", "adapter_model.safetensors", "training_args.json", "training_log.jsonl", "metrics.json", "progress.jsonl" })
        {
            Assert.True(File.Exists(Path.Combine(run.Output, name)), name);
        }

        var log = File.ReadAllLines(Path.Combine(run.Output, "training_log.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Enumerable.Range(1, 100), log.Select(l => l.GetProperty("step").GetInt32()));
        Assert.All(log, l => Assert.True(l.TryGetProperty("validation_loss", out _)));

        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(run.Output, "metrics.json")));
        var m = metrics.RootElement;
        Assert.Equal(100, m.GetProperty("steps").GetInt32());
        Assert.Equal(0, m.GetProperty("examples_truncated").GetInt32());
        Assert.True(m.GetProperty("tokens_trained").GetInt64() > 100 * 20 * 10);
        var validation = m.GetProperty("final_validation_loss").GetDouble();
        Assert.Equal(Math.Exp(validation), m.GetProperty("final_validation_perplexity").GetDouble(), 9);

        var epochEnds = ProgressFile.OfType(run.Output, "epoch_end").ToList();
        Assert.Equal(100, epochEnds.Count);
        Assert.True(epochEnds[^1].GetProperty("validation_loss").GetDouble() < epochEnds[0].GetProperty("validation_loss").GetDouble() / 3);
        Assert.Single(ProgressFile.OfType(run.Output, "completed"));
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(run.Output, "checkpoints")).Length);
    }

    [Fact]
    public void each_progress_line_carries_the_contract_fields()
    {
        var step = ProgressFile.OfType(run.Output, "step").First();
        foreach (var field in new[] { "step", "total_steps", "epoch", "epoch_progress", "training_loss", "learning_rate", "gradient_norm", "tokens_per_second", "elapsed_seconds", "eta_seconds", "timestamp" })
        {
            Assert.True(step.TryGetProperty(field, out _), field);
        }

        Assert.EndsWith("Z", step.GetProperty("timestamp").GetString(), StringComparison.Ordinal);
        Assert.Equal(100, step.GetProperty("total_steps").GetInt32());
    }
}

public class SentencePieceTrainingTests
{
    [Fact]
    public void a_llama2_checkpoint_with_only_a_tokenizer_model_trains()
    {
        using var folder = new TempFolder();
        var options = new TrainingOptions
        {
            BaseModelPath = TinyModels.Get(new TinyModelOptions { ChatFormat = Data.ChatFamily.Llama2, Tokenizer = "sentencepiece" }),
            DataPath = Capitals.WriteDataset(folder.Combine("capitals.jsonl")),
            OutputPath = folder.Combine("run"),
            Epochs = 15,
            BatchSize = 20,
            LearningRate = 5e-3,
            CheckpointEvery = 0,
        };
        using var stop = new StopSignal();

        new TrainingLoop(options, stop, TextWriter.Null).Run();

        var losses = ProgressFile.OfType(options.OutputPath, "step").Select(l => l.GetProperty("training_loss").GetDouble()).ToList();
        Assert.True(losses[^1] < losses[0] * 0.75, $"loss {losses[0]:F3} -> {losses[^1]:F3}");
        using var args = JsonDocument.Parse(File.ReadAllText(Path.Combine(options.OutputPath, "training_args.json")));
        Assert.Equal("llama2", args.RootElement.GetProperty("chat_format").GetString());
        Assert.Equal("tokenizer.model (SentencePiece)", args.RootElement.GetProperty("tokenizer").GetString());
    }
}
