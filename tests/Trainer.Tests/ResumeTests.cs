using System.Text.Json;
using LoraPipeline.Trainer.Checkpoints;
using LoraPipeline.Trainer.Tests.Support;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Tests;

/// <summary>
/// A real SIGTERM to a real lora-train child process mid-run, then the same command again, must end
/// with the adapter of an uninterrupted run (dropout on, gradient accumulation on, checkpoints pruned).
/// The interrupted run is a job folder (job.json as the gateway writes it), the reference a plain
/// train command with the same settings, so the job.json mapping is checked on the way.
/// </summary>
public class ResumeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public void an_interrupted_and_resumed_run_ends_with_the_same_adapter_as_an_uninterrupted_one()
    {
        using var folder = new TempFolder();
        var dataset = Capitals.WriteDataset(folder.Combine("capitals.jsonl"), validation: 2);
        var job = folder.Combine("job");
        Directory.CreateDirectory(job);
        File.Copy(dataset, Path.Combine(job, "dataset.jsonl"));
        File.WriteAllText(Path.Combine(job, "job.json"), JsonSerializer.Serialize(new
        {
            job_id = Guid.NewGuid(),
            dataset_url = "https://example.invalid/dataset.jsonl",
            hyperparameters = new { base_model = "tiny-llama", learning_rate = 0.005, batch_size = 4, num_epochs = 40, lora_rank = 8, lora_alpha = 16, lora_dropout = 0.1, warmup_steps = 5, weight_decay = 0.01 },
            gpu_config = new { gpu_type = "A100-80GB", num_gpus = 1, gpu_memory_gb = 80, cost_per_gpu_hour = 3.5 },
            callback_url = "https://example.invalid/callback",
            base_model_path = TinyModels.Default,
            seed = 7,
            max_seq_len = 64,
            checkpoint_every = 7,
            keep_checkpoints = 2,
            device = "cpu",
            some_future_field = new { ignored = true },
        }));
        var reference = folder.Combine("reference");
        string[] same = ["--micro-batch-size", "2", "--threads", "1"];

        using var uninterrupted = TrainerProcess.Start([
            "train", "--base", TinyModels.Default, "--data", dataset, "--out", reference, "--base-model-name", "tiny-llama",
            "--learning-rate", "0.005", "--batch-size", "4", "--epochs", "40", "--rank", "8", "--alpha", "16", "--dropout", "0.1",
            "--warmup-steps", "5", "--weight-decay", "0.01", "--seed", "7", "--max-seq-len", "64", "--checkpoint-every", "7", "--keep-checkpoints", "2", .. same]);
        using (var first = TrainerProcess.Start(["job", job, .. same]))
        {
            ProgressFile.WaitFor(job, l => l.GetProperty("type").GetString() == "step" && l.GetProperty("step").GetInt32() >= 10, first, Timeout);
            // the run has about 190 steps (seconds) to go: the signal lands mid-run even on a busy machine
            first.SendSigterm();
            var code = first.WaitForExit(Timeout);
            Assert.True(code == 75, $"exit code {code}; stdout: {first.Stdout} stderr: {first.Stderr}");
        }

        var interrupted = ProgressFile.OfType(job, "interrupted").Single();
        var stoppedAt = interrupted.GetProperty("step").GetInt32();
        Assert.Equal("SIGTERM", interrupted.GetProperty("signal").GetString());
        Assert.True(stoppedAt is >= 10 and < 200, $"stopped at step {stoppedAt} of 200");
        Assert.Equal($"checkpoints/step-{stoppedAt}", interrupted.GetProperty("checkpoint").GetString());
        Assert.True(File.Exists(Path.Combine(job, "checkpoints", $"step-{stoppedAt}", "adapter_model.safetensors")));
        Assert.False(File.Exists(Path.Combine(job, "adapter_model.safetensors")), "no final adapter before the run is done");

        var (second, stdout, stderr) = TrainerProcess.Run(Timeout, ["job", job, .. same]);
        Assert.True(second == 0, $"exit code {second}; stdout: {stdout} stderr: {stderr}");
        Assert.Equal(0, uninterrupted.WaitForExit(Timeout));

        var resumed = ProgressFile.OfType(job, "resumed").Single();
        Assert.Equal(stoppedAt, resumed.GetProperty("step").GetInt32());
        Assert.Equal(2, resumed.GetProperty("attempt").GetInt32());
        var steps = ProgressFile.OfType(job, "step").Select(l => l.GetProperty("step").GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(1, 200), steps.Distinct().Order());
        Assert.Equal(200, File.ReadAllLines(Path.Combine(job, "training_log.jsonl")).Length);
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(job, "checkpoints")).Length); // kept the last 2, no temporaries

        AssertSameAdapter(reference, job);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(job, "adapter_config.json")));
        Assert.Equal("tiny-llama", config.RootElement.GetProperty("base_model_name_or_path").GetString());
        Assert.Equal(8, config.RootElement.GetProperty("r").GetInt32());
    }

    [Fact]
    public void a_finished_run_started_again_does_nothing_and_succeeds()
    {
        using var folder = new TempFolder();
        var dataset = Capitals.WriteDataset(folder.Combine("capitals.jsonl"));
        string[] args = ["train", "--base", TinyModels.Default, "--data", dataset, "--out", folder.Combine("run"), "--epochs", "1", "--batch-size", "10", "--threads", "1"];
        Assert.Equal(0, TrainerProcess.Run(Timeout, args).ExitCode);
        var before = File.ReadAllBytes(folder.Combine("run", "adapter_model.safetensors"));

        var (code, stdout, _) = TrainerProcess.Run(Timeout, args);

        Assert.Equal(0, code);
        Assert.Contains("already completed", stdout, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(folder.Combine("run", "adapter_model.safetensors")));
    }

    private static void AssertSameAdapter(string expectedDir, string actualDir)
    {
        using var expected = SafetensorsReader.Open(Path.Combine(expectedDir, "adapter_model.safetensors"));
        using var actual = SafetensorsReader.Open(Path.Combine(actualDir, "adapter_model.safetensors"));
        Assert.Equal(expected.Entries.Keys.Order(), actual.Entries.Keys.Order());
        foreach (var name in expected.Entries.Keys)
        {
            using var e = expected.Read(name, ScalarType.Float32);
            using var a = actual.Read(name, ScalarType.Float32);
            var diff = e.sub(a).abs().max().item<float>();
            Assert.True(diff <= 1e-6, $"{name} differs by {diff:E2}");
        }

        using var someB = expected.Read(expected.Entries.Keys.First(k => k.EndsWith("lora_B.weight", StringComparison.Ordinal)));
        Assert.True(someB.abs().max().item<float>() > 0, "lora_B never moved: the runs trained nothing");
    }
}
