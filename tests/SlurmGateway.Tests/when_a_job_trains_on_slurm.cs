using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;

namespace LoraPipeline.SlurmGateway.Tests;

/// <summary>The whole path on a real Slurm: the platform's API, the gateway, slurmrestd, the real trainer on the tiny model.</summary>
public sealed class when_a_job_trains_on_slurm(SlurmPlatform platform) : IClassFixture<SlurmPlatform>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [SlurmFact]
    public async Task a_job_created_through_the_api_is_trained_by_slurm_into_a_stored_model_better_than_the_untrained_base()
    {
        var user = await platform.CreateUserAsync();
        // the validation examples come as a validation dataset of their own: its link reaches the trainer through the gateway
        var id = await platform.CreateJobAsync(user, validationFile: true);

        var done = await platform.WaitForJobAsync(user, id, v => v.Status() is "completed" or "failed" or "cancelled" && v["job"]!["artifact_id"] is not null
            || v.Status() is "failed" or "cancelled", Patience, "the model");
        var job = done["job"]!;
        Assert.True(job["status"]!.GetValue<string>() == "completed", job.ToJsonString());
        var external = job["external_job_id"]!.GetValue<string>();
        Assert.StartsWith("slurm-", external);

        // the trainer's own progress reached the job view: every step's loss, validation (on the validation dataset) at the epochs' ends
        var metrics = done["metrics"]!.AsArray();
        Assert.Equal(36, metrics.Count); // 24 training examples / batch 4 × 6 epochs
        Assert.Contains(metrics, m => m!["validation_loss"] is not null);
        Assert.True(job["gpu_seconds"]!.GetValue<decimal>() > 0, "no GPU time reported");

        // Slurm ran it: the job folder holds Slurm's output of a COMPLETED batch job
        var slurmJobId = platform.SlurmJobIds(external).Single();
        Assert.Contains("JobState=COMPLETED", SlurmCluster.Scontrol("show", "job", slurmJobId.ToString()));
        var folder = Path.Combine(platform.JobRoot, id.ToString("D"));
        Assert.Equal("validation.jsonl", JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "job.json")))!["validation_dataset_path"]!.GetValue<string>());
        Assert.Equal(SlurmJobs.CapitalsWithValidationFile().Validation, File.ReadAllText(Path.Combine(folder, "validation.jsonl")));

        // the stored model's adapter really learned: its validation loss is below the untrained base's on the same data
        var model = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/models/{job["artifact_id"]!.GetValue<Guid>()}"))).Data();
        var trained = model["quality_metrics"]!["final_validation_loss"]!.GetValue<double>();
        var untrained = UntrainedValidationLoss();
        Assert.True(trained < untrained - 0.05, $"validation loss {trained} is not below the untrained {untrained}");
        Assert.Contains(model["artifacts"]!.AsArray(), f => f!["name"]!.GetValue<string>() == "adapter_model.safetensors");
    }

    /// <summary>The base alone: one epoch at a learning rate too small to move anything, on the same file.</summary>
    private static double UntrainedValidationLoss()
    {
        var work = Path.Combine(Path.GetTempPath(), "lora-untrained-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(work);
        try
        {
            var data = Path.Combine(work, "data.jsonl");
            File.WriteAllText(data, SlurmJobs.CapitalsJsonl());
            SlurmCluster.Run(Path.Combine(SlurmCluster.RepositoryRoot, "lora-train"), "train", "--base", SlurmCluster.Current.TinyModel, "--data", data,
                "--out", Path.Combine(work, "run"), "--epochs", "1", "--batch-size", "4", "--learning-rate", "1e-12", "--rank", "8", "--alpha", "16", "--threads", "1");
            var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(work, "run", "metrics.json")))!;
            return metrics["final_validation_loss"]!.GetValue<double>();
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
