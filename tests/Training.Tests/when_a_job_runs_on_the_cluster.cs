using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;
using LoraPipeline.Training.Execution;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Training.Tests;

/// <summary>
/// The execution flow against the simulated cluster over real HTTP, with time moved by hand: every
/// cost below is exact.
/// </summary>
public sealed class when_a_job_runs_on_the_cluster(ClusterHost platform) : IClassFixture<ClusterHost>
{
    [Fact]
    public async Task a_new_job_is_submitted_at_once_and_runs_under_the_clusters_id()
    {
        var user = await platform.CreateUserAsync();
        var job = await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user));
        var id = job["id"]!.GetValue<Guid>();
        Assert.Equal("queued", job["status"]!.GetValue<string>());
        // the job's own cost is its GPU time: it is set against the estimate without the model's storage line
        Assert.Equal(job["estimated_total_cost"]!.GetValue<decimal>() - 0.50m, job["estimated_compute_cost"]!.GetValue<decimal>());

        var running = (await platform.JobAsync(user, id))["job"]!;
        Assert.Equal("running", running["status"]!.GetValue<string>());
        Assert.StartsWith("sim-", running["external_job_id"]!.GetValue<string>());
        Assert.Equal(platform.Clock.GetUtcNow(), running["started_at"]!.GetValue<DateTimeOffset>());
        Assert.Equal(
            ["training_job_queued", "training_job_initializing", "training_job_submitted", "training_job_started"],
            await platform.EventTypesAsync(user, id));
    }

    [Fact]
    public async Task polls_record_metrics_and_a_cost_from_the_clusters_gpu_time_that_accrues_between_reports_until_it_is_fixed()
    {
        var user = await platform.CreateUserAsync();
        var job = await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user), gpu: "A100-80GB", count: 2); // $7.00/h
        var id = job["id"]!.GetValue<Guid>();

        platform.Clock.Advance(TimeSpan.FromSeconds(18)); // 12 simulated minutes at time scale 40: training has begun
        await platform.PollAsync(user, id, 1);
        var first = await platform.JobAsync(user, id);
        // the cluster's own accounting: the simulated GPU-seconds so far (2 GPUs x 12 minutes less the queue) at $3.50 per GPU-hour
        var reported = first["job"]!["gpu_seconds"]!.GetValue<decimal>();
        Assert.Equal(2 * (18 * 40 - 5), reported);
        Assert.Equal(Math.Round(3.50m * reported / 3600, 2, MidpointRounding.AwayFromZero), first["job"]!["current_cost"]!.GetValue<decimal>());
        // between reports the cost accrues by the clock: 6 more minutes of 2 GPUs, until the next report corrects it
        platform.Clock.Advance(TimeSpan.FromMinutes(6));
        var accrued = await platform.JobAsync(user, id);
        Assert.Equal(Math.Round(3.50m * (reported + 2 * 360) / 3600, 2, MidpointRounding.AwayFromZero), accrued["job"]!["current_cost"]!.GetValue<decimal>());
        Assert.Equal(1, (await platform.StoredJobAsync(user, id)).LastPollNumber);
        Assert.Null(first["job"]!["last_poll_number"]); // the chain's bookkeeping is not the user's

        var done = await platform.RunToEndAsync(user, id, pollNumber: 2);
        var finished = done["job"]!;
        Assert.Equal("completed", finished["status"]!.GetValue<string>());
        Assert.Equal(100m, finished["progress"]!.GetValue<decimal>());
        var gpuSeconds = finished["gpu_seconds"]!.GetValue<decimal>();
        Assert.Equal(Math.Round(3.50m * gpuSeconds / 3600, 2, MidpointRounding.AwayFromZero), finished["final_cost"]!.GetValue<decimal>());
        Assert.Equal(finished["final_cost"]!.GetValue<decimal>(), finished["current_cost"]!.GetValue<decimal>());

        var metrics = done["metrics"]!.AsArray();
        Assert.True(metrics.Count >= 5, $"only {metrics.Count} metric points");
        Assert.Equal(metrics.Select(m => m!["step"]!.GetValue<int>()).Order(), metrics.Select(m => m!["step"]!.GetValue<int>()));
        Assert.True(metrics[^1]!["training_loss"]!.GetValue<double>() < metrics[0]!["training_loss"]!.GetValue<double>(), "the loss did not fall");
        Assert.Contains(metrics, m => m!["validation_loss"] is not null);
        Assert.NotNull(finished["current_metrics"]!["validation_loss"]);

        // the cost is fixed: later polls change nothing
        platform.Clock.Advance(TimeSpan.FromHours(5));
        await platform.PollAsync(user, id, 3);
        Assert.Equal(finished["final_cost"]!.GetValue<decimal>(), (await platform.JobAsync(user, id))["job"]!["final_cost"]!.GetValue<decimal>());
    }

    [Fact]
    public async Task each_poll_runs_once_even_when_delivered_twice_or_out_of_turn()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();

        platform.Clock.Advance(TimeSpan.FromSeconds(5));
        await platform.PollAsync(user, id, 1);
        var after = (await platform.EventTypesAsync(user, id)).Count;

        await platform.PollAsync(user, id, 1); // redelivered
        await platform.PollAsync(user, id, 5); // out of turn
        Assert.Equal(after, (await platform.EventTypesAsync(user, id)).Count);
    }

    [Fact]
    public async Task cancelling_a_running_job_stops_its_cost_and_the_cluster_stops_it_too()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user), gpu: "H100", count: 1))["id"]!.GetValue<Guid>(); // $4.20/h
        var external = (await platform.JobAsync(user, id))["job"]!["external_job_id"]!.GetValue<string>();

        platform.Clock.Advance(TimeSpan.FromSeconds(30));
        JsonNode cancelled = null!;
        // the cluster is told through the outbox: wait for that message too
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(30)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
            cancelled = await (await platform.Host.Scenario(s => s.As(user).Post.Url($"/api/jobs/{id}/cancel"))).Data()));
        Assert.Equal("cancelled", cancelled["status"]!.GetValue<string>());
        Assert.Equal(Math.Round(4.20m * 30 / 3600, 2, MidpointRounding.AwayFromZero), cancelled["final_cost"]!.GetValue<decimal>());

        platform.Clock.Advance(TimeSpan.FromHours(2));
        await platform.PollAsync(user, id, 1);
        var later = (await platform.JobAsync(user, id))["job"]!;
        Assert.Equal("cancelled", later["status"]!.GetValue<string>());
        Assert.Equal(cancelled["final_cost"]!.GetValue<decimal>(), later["current_cost"]!.GetValue<decimal>());

        var status = await ClusterStatusAsync(external);
        Assert.Equal("cancelled", status["status"]!.GetValue<string>());
        Assert.Single(await platform.EventTypesAsync(user, id), t => t is "training_job_cancelled" or "training_job_completed" or "training_job_failed");
    }

    [Fact]
    public async Task cancelling_a_finished_job_is_a_409_that_names_its_status()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();
        await platform.RunToEndAsync(user, id);

        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Url($"/api/jobs/{id}/cancel");
            s.StatusCodeShouldBe(409);
        });
        var problem = await result.Problem(409);
        Assert.Equal("completed", problem["details"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task another_users_job_answers_404_exactly_like_a_missing_one()
    {
        var owner = await platform.CreateUserAsync();
        var stranger = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(owner, await platform.ReadyDatasetAsync(owner)))["id"]!.GetValue<Guid>();
        var missing = Guid.NewGuid();

        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/jobs/{id}", $"/api/jobs/{missing}");
        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/jobs/{id}/events", $"/api/jobs/{missing}/events");
        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/jobs/{id}/stream", $"/api/jobs/{missing}/stream");
        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/jobs/{id}/cancel", $"/api/jobs/{missing}/cancel", HttpMethod.Post);
        Assert.Equal("running", (await platform.JobAsync(owner, id))["job"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_running_job_whose_polls_stopped_is_polled_again_by_the_watch()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();
        await platform.PollAsync(user, id, 1);
        var watch = platform.Host.Services.GetRequiredService<JobWatch>();

        // polled a moment ago: not this job's turn
        var early = await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(120))
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(_ => watch.RearmOverduePollsAsync(CancellationToken.None)));
        Assert.DoesNotContain(early.Executed.MessagesOf<PollTrainingJob>(), p => p.JobId == id);

        // the chain's next poll is lost (as after a poll that failed for good): three intervals and a minute later it is re-armed
        platform.Clock.Advance(TimeSpan.FromHours(3) + TimeSpan.FromMinutes(2));
        var late = await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(120))
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(_ => watch.RearmOverduePollsAsync(CancellationToken.None)));
        Assert.Equal(2, late.Executed.MessagesOf<PollTrainingJob>().Single(p => p.JobId == id).PollNumber);
        // the re-armed poll finds what the cluster did meanwhile: it finished the job
        var job = (await platform.JobAsync(user, id))["job"]!;
        Assert.Equal("completed", job["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_dataset_with_an_active_job_cannot_be_deleted_or_validated_again()
    {
        var user = await platform.CreateUserAsync();
        var datasetId = await platform.ReadyDatasetAsync(user);
        await platform.CreateJobAsync(user, datasetId);

        var deleted = await platform.Host.Scenario(s =>
        {
            s.As(user).Delete.Url($"/api/datasets/{datasetId}");
            s.StatusCodeShouldBe(409);
        });
        Assert.Equal("Dataset in use", (await deleted.Problem(409))["error"]!.GetValue<string>());

        // a new validation run would make the dataset "validating", or "error" in the other format, under the job
        var revalidated = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { format = "brightrun_lora_v3" }).ToUrl($"/api/datasets/{datasetId}/validate");
            s.StatusCodeShouldBe(409);
        });
        Assert.Equal("Dataset in use", (await revalidated.Problem(409))["error"]!.GetValue<string>());
        var dataset = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/datasets/{datasetId}"))).Data();
        Assert.Equal(("ready", "brightrun_lora_v4"), (dataset["status"]!.GetValue<string>(), dataset["format"]!.GetValue<string>()));
    }

    private async Task<JsonNode> ClusterStatusAsync(string externalJobId)
    {
        using var http = new HttpClient { BaseAddress = new Uri(platform.SimulatorUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ClusterHost.ClusterKey);
        return JsonNode.Parse(await http.GetStringAsync($"/training/status/{externalJobId}"))!;
    }
}
