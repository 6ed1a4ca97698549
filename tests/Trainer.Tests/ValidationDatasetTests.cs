using System.Text.Json;
using LoraPipeline.Trainer.Tests.Support;

namespace LoraPipeline.Trainer.Tests;

/// <summary>
/// job.json's validation_dataset_path (the platform's validation file, docs/cluster-contract.md): every example of that
/// file is evaluated, whatever its split, and the training set stays whole.
/// </summary>
public class ValidationDatasetTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public void a_job_folders_validation_dataset_is_evaluated_at_each_epoch_and_the_training_set_stays_whole()
    {
        using var folder = new TempFolder();
        var job = folder.Combine("job");
        Directory.CreateDirectory(job);
        Capitals.WriteDataset(Path.Combine(job, "dataset.jsonl"));
        // lines without "split": as a validation file they are validation examples all the same
        File.WriteAllLines(Path.Combine(job, "validation.jsonl"), File.ReadLines(Path.Combine(job, "dataset.jsonl")).Take(3));
        File.WriteAllText(Path.Combine(job, "job.json"), JsonSerializer.Serialize(new
        {
            job_id = Guid.NewGuid(),
            hyperparameters = new { base_model = "tiny-llama", learning_rate = 0.005, batch_size = 4, num_epochs = 2, lora_rank = 4, lora_alpha = 8, lora_dropout = 0.0 },
            base_model_path = TinyModels.Default,
            validation_dataset_path = "validation.jsonl",
            max_seq_len = 64,
            checkpoint_every = 0,
        }));

        var (code, stdout, stderr) = TrainerProcess.Run(Timeout, "job", job, "--threads", "1");

        Assert.True(code == 0, $"exit {code}: {stderr}\n{stdout}");
        var started = ProgressFile.OfType(job, "started").Single();
        Assert.Equal((20, 3), (started.GetProperty("train_examples").GetInt32(), started.GetProperty("validation_examples").GetInt32()));
        var epochs = ProgressFile.OfType(job, "epoch_end").ToList();
        Assert.Equal(2, epochs.Count);
        Assert.All(epochs, e => Assert.True(e.GetProperty("validation_loss").GetDouble() > 0));
    }

    [Fact]
    public void a_missing_validation_dataset_is_an_input_error_naming_the_file()
    {
        using var folder = new TempFolder();
        var data = Capitals.WriteDataset(folder.Combine("capitals.jsonl"));
        var missing = folder.Combine("held-out.jsonl");

        var (code, _, stderr) = TrainerProcess.Run(
            Timeout, "train", "--base", TinyModels.Default, "--data", data, "--validation-data", missing, "--out", folder.Combine("run"), "--epochs", "1", "--threads", "1");

        Assert.Equal(2, code);
        Assert.Contains($"{missing}: dataset not found", stderr, StringComparison.Ordinal);
    }
}
