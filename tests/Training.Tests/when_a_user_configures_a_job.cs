using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;

namespace LoraPipeline.Training.Tests;

/// <summary>Presets, GPU catalogue and E03's estimate, checked against the formula computed by hand.</summary>
public sealed class when_a_user_configures_a_job(ClusterHost platform) : IClassFixture<ClusterHost>
{
    [Fact]
    public async Task the_presets_carry_the_spec_values_and_the_allowed_ranges()
    {
        var user = await platform.CreateUserAsync();
        var data = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/presets"))).Data();
        var presets = data["presets"]!.AsArray().ToDictionary(p => p!["id"]!.GetValue<string>());

        Assert.Equal(new[] { "fast", "balanced", "quality", "conservative", "aggressive", "custom" }, presets.Keys);
        var balanced = presets["balanced"]!["hyperparameters"]!;
        Assert.Equal(0.00005m, balanced["learning_rate"]!.GetValue<decimal>());
        Assert.Equal(4, balanced["batch_size"]!.GetValue<int>());
        Assert.Equal(3, balanced["num_epochs"]!.GetValue<int>());
        Assert.Equal(16, balanced["lora_rank"]!.GetValue<int>());
        Assert.Equal("mistralai/Mistral-7B-v0.1", balanced["base_model"]!.GetValue<string>());
        Assert.Equal(10, presets["aggressive"]!["hyperparameters"]!["num_epochs"]!.GetValue<int>());
        Assert.Equal(new[] { 1, 64 }, data["ranges"]!["batch_size"]!.AsArray().Select(v => v!.GetValue<int>()));
    }

    [Fact]
    public async Task the_gpu_catalogue_has_the_spec_prices_and_throughputs()
    {
        var user = await platform.CreateUserAsync();
        var gpus = (await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/gpus"))).Data())["gpus"]!.AsArray()
            .ToDictionary(g => g!["id"]!.GetValue<string>());
        Assert.Equal(3.50m, gpus["A100-80GB"]!["price_per_gpu_hour"]!.GetValue<decimal>());
        Assert.Equal(1500, gpus["A100-40GB"]!["throughput_tokens_per_second"]!.GetValue<int>());
        Assert.Equal(4.20m, gpus["H100"]!["price_per_gpu_hour"]!.GetValue<decimal>());
        Assert.Equal(32, gpus["V100-32GB"]!["memory_gb"]!.GetValue<int>());
    }

    [Fact]
    public async Task an_estimate_matches_the_e03_formula_computed_by_hand()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(50));
        var pairs = dataset["total_training_pairs"]!.GetValue<long>();
        var tokens = dataset["total_tokens"]!.GetValue<long>();

        var estimate = await (await platform.Host.Scenario(s => s.As(user).Post.Json(new
        {
            dataset_id = dataset["id"]!.GetValue<Guid>(),
            gpu_config = new { type = "A100-80GB", count = 2 },
            hyperparameters = new { batch_size = 4, epochs = 3, learning_rate = 0.00005, rank = 16 },
        }).ToUrl("/api/jobs/estimate"))).Data();

        // E03 by hand
        var stepsPerEpoch = (int)Math.Ceiling(pairs / 4.0);
        var totalSteps = stepsPerEpoch * 3;
        var secondsPerStep = (decimal)tokens / pairs * 4 / (1800 * 2);
        var hours = (totalSteps * secondsPerStep + 600 + 3 * 300 + 300) / 3600m;
        var compute = 3.50m * 2 * hours;

        Assert.Equal(stepsPerEpoch, estimate["training_details"]!["steps_per_epoch"]!.GetValue<int>());
        Assert.Equal(totalSteps, estimate["training_details"]!["total_steps"]!.GetValue<int>());
        Assert.Equal(3600, estimate["training_details"]!["estimated_throughput_tokens_per_sec"]!.GetValue<int>());
        Assert.Equal(Math.Round(compute, 2, MidpointRounding.AwayFromZero), estimate["cost_breakdown"]!["compute"]!.GetValue<decimal>());
        Assert.Equal(0.50m, estimate["cost_breakdown"]!["storage"]!.GetValue<decimal>());
        Assert.Equal(Math.Round(compute + 0.50m, 2, MidpointRounding.AwayFromZero), estimate["estimated_cost"]!.GetValue<decimal>());
        Assert.Equal(Math.Round(hours, 2, MidpointRounding.AwayFromZero), estimate["estimated_duration_hours"]!.GetValue<decimal>());
        Assert.Equal(7.00m, estimate["hourly_rate"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task an_estimate_on_another_users_dataset_is_404_like_a_missing_one()
    {
        var owner = await platform.CreateUserAsync();
        var stranger = await platform.CreateUserAsync();
        var dataset = await platform.UploadAndValidateAsync(owner, DatasetUploads.CleanJsonl(5));

        foreach (var id in new[] { dataset["id"]!.GetValue<Guid>(), Guid.NewGuid() })
        {
            var result = await platform.Host.Scenario(s =>
            {
                s.As(stranger).Post.Json(new { dataset_id = id, gpu_config = new { type = "H100", count = 1 } }).ToUrl("/api/jobs/estimate");
                s.StatusCodeShouldBe(404);
            });
            Assert.Equal("Dataset not found", (await result.Problem(404))["error"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task a_dataset_that_failed_validation_is_a_400_that_says_why()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.UploadAndValidateAsync(user, "{\"messages\": []}\n");
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { dataset_id = dataset["id"]!.GetValue<Guid>(), gpu_config = new { type = "H100", count = 1 } }).ToUrl("/api/jobs");
            s.StatusCodeShouldBe(400);
        });
        var problem = await result.Problem(400);
        Assert.Equal("Dataset not ready for training", problem["error"]!.GetValue<string>());
        Assert.Contains("failed validation", problem["details"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_dataset_with_only_validation_examples_cannot_be_estimated_or_trained_on()
    {
        var user = await platform.CreateUserAsync();
        const string line = """{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}], "split": "validation"}""";
        var dataset = await platform.UploadAndValidateAsync(user, line + "\n" + line + "\n");
        Assert.Equal("ready", dataset["status"]!.GetValue<string>());

        foreach (var url in new[] { "/api/jobs/estimate", "/api/jobs" })
        {
            var result = await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Json(new { dataset_id = dataset["id"]!.GetValue<Guid>(), gpu_config = new { type = "H100", count = 1 } }).ToUrl(url);
                s.StatusCodeShouldBe(400);
            });
            Assert.Contains("no training examples", (await result.Problem(400))["details"]!.GetValue<string>());
        }
    }

    [Theory]
    [InlineData("""{"dataset_id": 5}""", "'dataset_id'", "send an id (a GUID)")]
    [InlineData("""{"gpu_config": {"type": "H100", "count": true}}""", "'gpu_config.count'", "send a whole number")]
    [InlineData("""{"hyperparameters": {"learning_rate": "fast"}}""", "'hyperparameters.learning_rate'", "send a number")]
    [InlineData("""{"gpu_config": "H100"}""", "'gpu_config'", "send an object")]
    public async Task a_field_of_the_wrong_type_is_named_with_what_it_accepts_not_a_dotnet_type(string body, string field, string accepted)
    {
        var user = await platform.CreateUserAsync();
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Text(body).ToUrl("/api/jobs/estimate");
            s.ConfigureHttpContext(c => c.Request.ContentType = "application/json");
            s.StatusCodeShouldBe(400);
        });

        var problem = await result.Problem(400);
        var detail = problem["detail"]!.GetValue<string>();
        Assert.Equal($"The JSON field {field} has a value of the wrong type: {accepted}.", detail);
        Assert.Equal(("Malformed JSON", detail), (problem["error"]!.GetValue<string>(), problem["details"]!.GetValue<string>()));
        Assert.True(problem["byte_position_in_line"]!.GetValue<long>() > 0); // snake_case like the rest of the API
        Assert.Null(problem["bytePositionInLine"]);
    }

    [Fact]
    public async Task out_of_range_values_name_every_field_and_its_range()
    {
        var user = await platform.CreateUserAsync();
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new
            {
                dataset_id = Guid.NewGuid(),
                preset_id = "turbo",
                gpu_config = new { type = "TPU", count = 9 },
                hyperparameters = new { batch_size = 65, epochs = 0, learning_rate = 0.5, rank = 2 },
            }).ToUrl("/api/jobs/estimate");
            s.StatusCodeShouldBe(400);
        });
        var details = (await result.Problem(400))["details"]!.AsObject();
        Assert.Contains("between 1 and 64", details["hyperparameters.batch_size"]![0]!.GetValue<string>());
        Assert.Contains("between 1 and 20", details["hyperparameters.epochs"]![0]!.GetValue<string>());
        Assert.Contains("between 0.00001 and 0.001", details["hyperparameters.learning_rate"]![0]!.GetValue<string>());
        Assert.Contains("between 4 and 128", details["hyperparameters.rank"]![0]!.GetValue<string>());
        Assert.Contains("between 1 and 8", details["gpu_config.count"]![0]!.GetValue<string>());
        Assert.NotNull(details["gpu_config.type"]);
        Assert.NotNull(details["preset_id"]);
    }

    [Fact]
    public async Task both_naming_styles_are_accepted_and_a_contradiction_is_refused()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(8));
        var id = dataset["id"]!.GetValue<Guid>();

        var e01 = await (await platform.Host.Scenario(s => s.As(user).Post.Json(new
        {
            dataset_id = id,
            gpu_config = new { gpu_type = "H100", num_gpus = 2 },
            hyperparameters = new { num_epochs = 2, lora_rank = 8, batch_size = 2 },
        }).ToUrl("/api/jobs/estimate"))).Data();
        var e03 = await (await platform.Host.Scenario(s => s.As(user).Post.Json(new
        {
            dataset_id = id,
            gpu_config = new { type = "H100", count = 2 },
            hyperparameters = new { epochs = 2, rank = 8, batch_size = 2 },
        }).ToUrl("/api/jobs/estimate"))).Data();
        Assert.Equal(e01.ToJsonString(), e03.ToJsonString());

        var conflict = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { dataset_id = id, gpu_config = new { type = "H100", gpu_type = "A100-80GB" } }).ToUrl("/api/jobs/estimate");
            s.StatusCodeShouldBe(400);
        });
        Assert.NotNull((await conflict.Problem(400))["details"]!["gpu_config.type"]);
    }

    [Theory]
    [InlineData("{\"dataset_id\": ")]
    [InlineData("{\"dataset_id\": \"not-a-guid\"}")]
    [InlineData("{\"dataset_id\": \"9d3d2b8e-1c2f-4a7e-9a59-0f6a0b8d1c11\", \"hyperparameters\": {\"batch_size\": \"four\"}}")]
    [InlineData("[1, 2, 3]")]
    public async Task malformed_json_is_a_400_problem(string body)
    {
        var user = await platform.CreateUserAsync();
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Text(body).ToUrl("/api/jobs/estimate");
            s.ConfigureHttpContext(c => c.Request.ContentType = "application/json");
            s.StatusCodeShouldBe(400);
        });
        await result.Problem(400);
    }
}
