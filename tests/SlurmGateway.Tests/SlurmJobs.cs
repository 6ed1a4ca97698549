using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;

namespace LoraPipeline.SlurmGateway.Tests;

/// <summary>Datasets and jobs for the Slurm tests: a small learnable chat set, and jobs created through the platform's API.</summary>
public static class SlurmJobs
{
    private static readonly (string Country, string Capital)[] Capitals =
    [
        ("France", "Paris"), ("Japan", "Tokyo"), ("Kenya", "Nairobi"), ("Peru", "Lima"), ("Italy", "Rome"), ("Egypt", "Cairo"),
        ("Spain", "Madrid"), ("Chile", "Santiago"), ("Canada", "Ottawa"), ("Norway", "Oslo"), ("Greece", "Athens"), ("Cuba", "Havana"),
    ];

    /// <summary>Each capital twice for training, and four for validation (the same questions: the loss there must fall too).</summary>
    public static string CapitalsJsonl() =>
        string.Join('\n', Capitals.Concat(Capitals).Select(c => DatasetUploads.ChatLine($"Capital of {c.Country}?", c.Capital))
            .Concat(Capitals.Take(4).Select(c => DatasetUploads.ChatLine($"Capital of {c.Country}?", c.Capital, split: "validation")))) + "\n";

    /// <summary>The same examples as <see cref="CapitalsJsonl"/>, as a training set and a validation dataset of its own.</summary>
    public static (string Training, string Validation) CapitalsWithValidationFile() =>
        (string.Join('\n', Capitals.Concat(Capitals).Select(c => DatasetUploads.ChatLine($"Capital of {c.Country}?", c.Capital))) + "\n",
         string.Join('\n', Capitals.Take(4).Select(c => DatasetUploads.ChatLine($"Capital of {c.Country}?", c.Capital))) + "\n");

    /// <param name="validationFile">Train on <see cref="CapitalsWithValidationFile"/> (the validation examples in a dataset of their own).</param>
    public static async Task<Guid> CreateJobAsync(
        this SlurmPlatform platform, TestUser user, int epochs = 6, string? name = null, string model = SlurmPlatform.TinyModelName, int gpus = 1, int batchSize = 4,
        bool validationFile = false)
    {
        var (training, validation) = validationFile ? CapitalsWithValidationFile() : (CapitalsJsonl(), null);
        var dataset = (await platform.UploadAndValidateAsync(user, training, "Capitals"))["id"]!.GetValue<Guid>();
        Guid? validationDataset = validation is null ? null : (await platform.UploadAndValidateAsync(user, validation, "Capitals held out"))["id"]!.GetValue<Guid>();
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new
            {
                dataset_id = dataset,
                validation_dataset_id = validationDataset,
                name = name ?? "capitals on slurm",
                preset_id = "fast",
                gpu_config = new { type = "A100-80GB", count = gpus },
                hyperparameters = new { base_model = model, epochs, batch_size = batchSize, learning_rate = 0.001, rank = 8, alpha = 16 },
            }).ToUrl("/api/jobs");
            s.StatusCodeShouldBe(201);
        });
        return (await result.Data())["id"]!.GetValue<Guid>();
    }

    public static string Status(this JsonNode view) => view["job"]!["status"]!.GetValue<string>();
}
