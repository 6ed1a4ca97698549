using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Training.Tests;

/// <summary>
/// The native API's share of the OpenAI-compatible work: a job's suffix, seed, metadata (OpenAI's limits) and
/// validation dataset, and an estimate that says whether the budget lets the job proceed.
/// </summary>
public sealed class when_a_job_carries_extras(ClusterHost platform) : IClassFixture<ClusterHost>
{
    [Fact]
    public async Task suffix_seed_metadata_and_validation_dataset_are_kept_and_shown()
    {
        var user = await platform.CreateUserAsync();
        var training = await platform.ReadyDatasetAsync(user);
        var validation = await platform.ReadyDatasetAsync(user, 10);

        var created = await Create(user, new
        {
            dataset_id = training, validation_dataset_id = validation, suffix = "bot-v1", seed = 7,
            metadata = new Dictionary<string, string> { ["team"] = "support", ["ticket"] = "T-1" },
        }, 201);

        var job = (await platform.JobAsync(user, created["id"]!.GetValue<Guid>()))["job"]!;
        Assert.Equal((validation, "bot-v1", 7L), (job["validation_dataset_id"]!.GetValue<Guid>(), job["suffix"]!.GetValue<string>(), job["seed"]!.GetValue<long>()));
        Assert.Equal("support", job["metadata"]!["team"]!.GetValue<string>());
    }

    [Fact]
    public async Task openais_limits_are_kept_and_another_users_validation_dataset_is_not_found()
    {
        var user = await platform.CreateUserAsync();
        var training = await platform.ReadyDatasetAsync(user);
        var strangers = await platform.ReadyDatasetAsync(await platform.CreateUserAsync());

        var tooMany = await Create(user, new { dataset_id = training, metadata = Enumerable.Range(0, 17).ToDictionary(i => $"k{i}", i => "v") }, 400);
        Assert.Contains("at most 16 pairs", tooMany["details"]!["metadata"]![0]!.GetValue<string>());
        var badSuffix = await Create(user, new { dataset_id = training, suffix = new string('x', 65), seed = -1 }, 400);
        Assert.NotNull(badSuffix["details"]!["suffix"]);
        Assert.NotNull(badSuffix["details"]!["seed"]);
        await Create(user, new { dataset_id = training, validation_dataset_id = strangers }, 404);

        var jobs = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/jobs"))).Data();
        Assert.Empty(jobs["jobs"]!.AsArray()); // nothing was queued by the refusals
    }

    [Fact]
    public async Task a_validation_dataset_is_counted_by_the_estimate_reaches_the_cluster_and_cannot_be_deleted_while_used()
    {
        var user = await platform.CreateUserAsync();
        // a training set without validation examples: any validation loss can only come from the validation dataset
        var training = (await platform.UploadAndValidateAsync(user, string.Join('\n', Enumerable.Range(1, 20).Select(i =>
            DatasetUploads.ChatLine($"Question {i}: where is my invoice?", $"Answer {i}: under Billing, then Invoices."))) + "\n"))["id"]!.GetValue<Guid>();
        var validation = await platform.ReadyDatasetAsync(user, 10);
        var gpu = new { type = "A100-80GB", count = 1 };

        var estimate = await EstimateBody(user, new { dataset_id = training, validation_dataset_id = validation, preset_id = "fast", gpu_config = gpu }, 200);
        Assert.Equal((10L, 10L), (estimate["validation"]!["examples"]!.GetValue<long>(), estimate["validation"]!["from_validation_dataset"]!.GetValue<long>()));
        Assert.Contains(estimate["lines"]!.AsArray(), l => l!["id"]!.GetValue<string>() == "validation");
        Assert.DoesNotContain(estimate["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("no validation examples"));
        var same = await EstimateBody(user, new { dataset_id = training, validation_dataset_id = training, preset_id = "fast", gpu_config = gpu }, 400);
        Assert.Contains("another dataset than the training dataset", same["details"]!["validation_dataset_id"]![0]!.GetValue<string>());

        JsonNode created = null!;
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
            created = await Create(user, new { dataset_id = training, validation_dataset_id = validation, hyperparameters = new { epochs = 2, batch_size = 4 } }, 201)));
        var id = created["id"]!.GetValue<Guid>();
        await platform.Host.Scenario(s =>
        {
            s.As(user).Delete.Url($"/api/datasets/{validation}");
            s.StatusCodeShouldBe(409); // the running job still reads it
        });

        var done = await platform.RunToEndAsync(user, id);
        Assert.Equal("completed", done["job"]!["status"]!.GetValue<string>());
        Assert.Contains(done["metrics"]!.AsArray(), m => m!["validation_loss"] is not null);
    }

    [Fact]
    public async Task the_estimate_says_whether_the_budget_lets_the_job_proceed()
    {
        var user = await platform.CreateUserAsync();
        var training = await platform.ReadyDatasetAsync(user);

        var free = await Estimate(user, training);
        Assert.True(free["allowed_to_proceed"]!.GetValue<bool>());
        Assert.Null(free["budget_remaining"]);

        await platform.Host.Scenario(s =>
        {
            s.As(user).Put.Json(new { monthly_limit = 0.50m, hard_limit = true }).ToUrl("/api/budget");
            s.StatusCodeShouldBeOk();
        });
        var capped = await Estimate(user, training);
        Assert.False(capped["allowed_to_proceed"]!.GetValue<bool>());
        // in words for the person at the Start button: what is left, and what to change
        Assert.Contains("is more than the $0.50 your hard monthly limit leaves this month", capped["reason"]!.GetValue<string>());
        Assert.Contains("Raise the limit on the Costs page", capped["reason"]!.GetValue<string>());
        Assert.Equal(0.50m, capped["budget_remaining"]!.GetValue<decimal>());
    }

    private async Task<JsonNode> Create(TestUser user, object extras, int status)
    {
        var body = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(extras))!.AsObject();
        body["preset_id"] = "fast";
        body["gpu_config"] = new JsonObject { ["type"] = "A100-80GB", ["count"] = 1 };
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(body).ToUrl("/api/jobs");
            s.StatusCodeShouldBe(status);
        });
        return status == 201 ? await result.Data() : await result.Json();
    }

    private async Task<JsonNode> EstimateBody(TestUser user, object body, int status)
    {
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(body).ToUrl("/api/jobs/estimate");
            s.StatusCodeShouldBe(status);
        });
        return status == 200 ? await result.Data() : await result.Json();
    }

    private async Task<JsonNode> Estimate(TestUser user, Guid dataset) =>
        await (await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { dataset_id = dataset, preset_id = "fast", gpu_config = new { type = "A100-80GB", count = 1 } }).ToUrl("/api/jobs/estimate");
            s.StatusCodeShouldBeOk();
        })).Data();
}
