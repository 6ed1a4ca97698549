using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Training.Tests;

/// <summary>
/// A dataset without validation examples gets an automatic split on the job (issue 22): bounded, stored with the seed,
/// counted by the estimate, and honoured by the cluster (the simulator trains on the examples left).
/// </summary>
public sealed class when_a_job_asks_for_a_validation_split(ClusterHost platform) : IClassFixture<ClusterHost>
{
    private static string WithoutValidation(int count) => string.Join('\n', Enumerable.Range(1, count).Select(i =>
        DatasetUploads.ChatLine($"Question {i}: where is my invoice?", $"Answer {i}: under Billing, then Invoices."))) + "\n";

    [Theory]
    [InlineData(0)]
    [InlineData(0.005)]
    [InlineData(0.51)]
    [InlineData(-0.1)]
    public async Task a_split_out_of_bounds_is_a_400_naming_the_field(double split)
    {
        var user = await platform.CreateUserAsync();
        var dataset = await Dataset(user, 20);
        foreach (var url in new[] { "/api/jobs/estimate", "/api/jobs" })
        {
            var result = await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Json(Body(dataset, split, seed: 7)).ToUrl(url);
                s.StatusCodeShouldBe(400);
            });
            var problem = await result.Problem(400);
            Assert.Contains("between 0.01 and 0.5", problem["details"]!["validation_split"]![0]!.GetValue<string>());
        }

        var jobs = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/jobs"))).Data();
        Assert.Empty(jobs["jobs"]!.AsArray());
    }

    [Fact]
    public async Task the_estimate_warns_without_validation_examples_and_counts_the_split()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await Dataset(user, 20);

        var plain = await Estimate(user, new { dataset_id = dataset, preset_id = "fast", gpu_config = new { type = "A100-80GB", count = 1 } });
        Assert.DoesNotContain(plain["lines"]!.AsArray(), l => l!["id"]!.GetValue<string>() == "validation");
        Assert.Contains(plain["warnings"]!.AsArray(), w => w!.GetValue<string>().Contains("no validation examples"));
        Assert.Equal(0, plain["validation"]!["examples"]!.GetValue<long>());

        var split = await Estimate(user, Body(dataset, 0.25, seed: 7));
        Assert.Equal(5, split["validation"]!["from_split"]!.GetValue<long>());
        Assert.Contains(split["lines"]!.AsArray(), l => l!["id"]!.GetValue<string>() == "validation");
        Assert.Equal(split["estimated_cost"]!.GetValue<decimal>(), split["lines"]!.AsArray().Sum(l => l!["cost"]!.GetValue<decimal>()));
    }

    [Fact]
    public async Task the_split_and_seed_are_stored_and_the_cluster_trains_on_the_examples_left()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await Dataset(user, 20);

        IScenarioResult? created = null;
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
        {
            created = await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Json(Body(dataset, 0.25, seed: 7)).ToUrl("/api/jobs");
                s.StatusCodeShouldBe(201);
            });
        }));
        var jobId = (await created!.Data())["id"]!.GetValue<Guid>();
        var job = (await platform.JobAsync(user, jobId))["job"]!;

        Assert.Equal((0.25m, 7L), (job["validation_split"]!.GetValue<decimal>(), job["seed"]!.GetValue<long>()));
        // 20 examples less 5 held out = 15, in batches of 4: 4 steps per epoch, 2 epochs (not the 10 steps of all 20)
        Assert.Equal(8, job["total_steps"]!.GetValue<int>());
        var cluster = await ClusterStatusAsync(job["external_job_id"]!.GetValue<string>());
        Assert.Equal(8, cluster["total_steps"]!.GetValue<int>());
    }

    private static object Body(Guid dataset, double split, long seed) => new
    {
        dataset_id = dataset, preset_id = "fast", gpu_config = new { type = "A100-80GB", count = 1 },
        hyperparameters = new { epochs = 2, batch_size = 4 }, validation_split = split, seed,
    };

    private async Task<Guid> Dataset(TestUser user, int examples) =>
        (await platform.UploadAndValidateAsync(user, WithoutValidation(examples)))["id"]!.GetValue<Guid>();

    private async Task<JsonNode> Estimate(TestUser user, object body) =>
        await (await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(body).ToUrl("/api/jobs/estimate");
            s.StatusCodeShouldBeOk();
        })).Data();

    private async Task<JsonNode> ClusterStatusAsync(string externalJobId)
    {
        using var http = new HttpClient { BaseAddress = new Uri(platform.SimulatorUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ClusterHost.ClusterKey);
        return JsonNode.Parse(await http.GetStringAsync($"/training/status/{externalJobId}"))!;
    }
}
