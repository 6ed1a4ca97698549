using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;
using Marten;
using Marten.Events;
using Wolverine.Tracking;

namespace LoraPipeline.Training.Tests;

/// <summary>Every job is preempted once, at a step the simulator picks between a quarter and three quarters of the run.</summary>
public sealed class PreemptingClusterHost : ClusterHost
{
    protected override void ConfigureSimulator(IDictionary<string, string?> settings)
    {
        settings["Simulator:PreemptionRate"] = "1";
        settings["Simulator:CheckpointEvery"] = "2";
    }
}

/// <summary>As above, but the platform restarts a preempted job no more than zero times.</summary>
public sealed class NoRecoveriesHost : ClusterHost
{
    protected override void ConfigureSimulator(IDictionary<string, string?> settings) => settings["Simulator:PreemptionRate"] = "1";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["GpuCluster:MaxRecoveries"] = "0";
    }
}

/// <summary>
/// The lifecycle of the hosted services (issue 15), on the simulator over real HTTP, step by step on the test clock:
/// preemption and recovery from a checkpoint, billed from the cluster's GPU time per attempt, exactly once.
/// </summary>
public sealed class when_a_job_is_preempted(PreemptingClusterHost platform) : IClassFixture<PreemptingClusterHost>
{
    [Fact]
    public async Task it_recovers_from_its_last_checkpoint_completes_and_bills_both_attempts_gpu_time_once()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();

        platform.Clock.Advance(TimeSpan.FromHours(3)); // long enough to finish, had it not been preempted
        await platform.PollAsync(user, id, 1); // recovering: the platform asks the cluster to resume it
        var recovering = (await platform.JobAsync(user, id))["job"]!;
        Assert.Equal(("recovering", 1), (recovering["status"]!.GetValue<string>(), recovering["recovery_count"]!.GetValue<int>()));

        platform.Clock.Advance(TimeSpan.FromSeconds(5)); // 200 simulated seconds: the restart (120) done, training again
        await platform.PollAsync(user, id, 2);
        var resumed = (await platform.JobAsync(user, id))["job"]!;
        Assert.Equal(("running", 2), (resumed["status"]!.GetValue<string>(), resumed["attempt"]!.GetValue<int>()));

        var done = (await platform.RunToEndAsync(user, id, pollNumber: 3))["job"]!;
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Equal((2, 1), (done["attempt"]!.GetValue<int>(), done["recovery_count"]!.GetValue<int>()));

        // the cluster's own accounting decides the bill: each attempt at $3.50 per GPU-hour, rounded per attempt
        var cluster = await ClusterStatusAsync(done["external_job_id"]!.GetValue<string>());
        var attempts = cluster["attempts"]!.AsArray();
        Assert.Equal(["preempted", "completed"], attempts.Select(a => a!["outcome"]!.GetValue<string>()));
        var expected = attempts.Sum(a => Math.Round(3.50m * a!["gpu_seconds"]!.GetValue<decimal>() / 3600m, 2, MidpointRounding.AwayFromZero));
        Assert.Equal(expected, done["final_cost"]!.GetValue<decimal>());
        Assert.Equal(2, done["attempts"]!.AsArray().Count);

        // the restart ran again from the checkpoint the preemption left, and the history tells it
        var events = await platform.EventTypesAsync(user, id);
        Assert.Single(events, t => t == "training_job_preempted");
        Assert.Single(events, t => t == "training_job_resumed");
        Assert.Contains("training_checkpoint_recorded", events);
        var history = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/jobs/{id}/events"))).Data();
        var resumedEvent = history["events"]!.AsArray().Single(e => e!["type"]!.GetValue<string>() == "training_job_resumed")!["data"]!;
        var preemptedEvent = history["events"]!.AsArray().Single(e => e!["type"]!.GetValue<string>() == "training_job_preempted")!["data"]!;
        Assert.Equal(preemptedEvent["checkpoint_step"]!.GetValue<int>(), resumedEvent["from_step"]!.GetValue<int>());

        // one compute record, of the final cost, with the attempts
        await platform.Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(60));
        await using var session = platform.Store.QuerySession(user.Tenant);
        var records = await session.Query<Billing.Costs.CostRecord>().Where(r => r.JobId == id && r.CostType == "training_compute").ToListAsync();
        var record = Assert.Single(records);
        Assert.Equal(expected, record.Amount);
        Assert.Equal(2, ((System.Text.Json.JsonElement)record.Details["attempts"]!).GetArrayLength());
    }

    [Fact]
    public async Task its_checkpoints_are_listed_and_their_adapters_download_and_another_users_are_not_found()
    {
        var user = await platform.CreateUserAsync();
        var stranger = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();
        platform.Clock.Advance(TimeSpan.FromHours(3));
        await platform.PollAsync(user, id, 1);

        var listed = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/jobs/{id}/checkpoints"))).Data();
        var checkpoint = listed["checkpoints"]!.AsArray()[^1]!;
        var step = checkpoint["step"]!.GetValue<int>();
        Assert.True(step > 0);
        Assert.Contains("adapter_model.safetensors", checkpoint["files"]!.AsArray().Select(f => f!.GetValue<string>()));

        var links = await (await platform.Host.Scenario(s => s.As(user).Post.Url($"/api/jobs/{id}/checkpoints/{step}/download"))).Data();
        var adapter = links["links"]!.AsArray().Single(l => l!["file_name"]!.GetValue<string>() == "adapter_model.safetensors")!;
        var url = new Uri(adapter["url"]!.GetValue<string>());
        var file = await platform.Host.Scenario(s => s.Get.Url(url.PathAndQuery));
        var bytes = await file.ReadAsBytesAsync();
        Assert.Equal(adapter["sha256"]!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal(adapter["size"]!.GetValue<long>(), bytes.LongLength);

        // a second request links the stored copy: the same checksum
        var again = await (await platform.Host.Scenario(s => s.As(user).Post.Url($"/api/jobs/{id}/checkpoints/{step}/download"))).Data();
        Assert.Equal(adapter["sha256"]!.GetValue<string>(),
            again["links"]!.AsArray().Single(l => l!["file_name"]!.GetValue<string>() == "adapter_model.safetensors")!["sha256"]!.GetValue<string>());

        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/jobs/{id}/checkpoints", $"/api/jobs/{Guid.NewGuid()}/checkpoints");
        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/jobs/{id}/checkpoints/{step}/download",
            $"/api/jobs/{id}/checkpoints/{step + 1000}/download", HttpMethod.Post);
    }

    private async Task<JsonNode> ClusterStatusAsync(string externalJobId)
    {
        using var http = new HttpClient { BaseAddress = new Uri(platform.SimulatorUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ClusterHost.ClusterKey);
        return (await http.GetFromJsonAsync<JsonNode>($"/training/status/{externalJobId}"))!;
    }
}

public sealed class when_a_job_is_preempted_past_the_recovery_limit(NoRecoveriesHost platform) : IClassFixture<NoRecoveriesHost>
{
    [Fact]
    public async Task it_fails_with_the_reason_and_is_billed_for_what_it_used()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();

        var failed = (await platform.RunToEndAsync(user, id))["job"]!;

        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.Contains("not restarted more than 0 times (GpuCluster:MaxRecoveries)", failed["error_message"]!.GetValue<string>());
        Assert.True(failed["final_cost"]!.GetValue<decimal>() > 0m, "the GPU time of the preempted attempt is billed");
    }
}

/// <summary>Pause and resume from the API: a paused job accrues nothing, and resumes from its checkpoint as a new attempt.</summary>
public sealed class when_a_job_is_paused_and_resumed(ClusterHost platform) : IClassFixture<ClusterHost>
{
    [Fact]
    public async Task a_paused_job_costs_nothing_more_and_resumes_from_its_checkpoint()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();
        platform.Clock.Advance(TimeSpan.FromSeconds(20)); // about 13 simulated minutes: loading done, training under way
        await platform.PollAsync(user, id, 1);

        var paused = await Lifecycle(user, id, "pause", 202);
        Assert.Equal("paused", paused["status"]!.GetValue<string>());
        await platform.PollAsync(user, id, 2); // the cluster has paused it meanwhile: its checkpoint and GPU time are read
        var atPause = (await platform.JobAsync(user, id))["job"]!;
        var step = atPause["current_step"]!.GetValue<int>();

        platform.Clock.Advance(TimeSpan.FromHours(1));
        await platform.PollAsync(user, id, 3);
        var anHourLater = (await platform.JobAsync(user, id))["job"]!;
        Assert.Equal("paused", anHourLater["status"]!.GetValue<string>());
        Assert.Equal(atPause["current_cost"]!.GetValue<decimal>(), anHourLater["current_cost"]!.GetValue<decimal>());
        Assert.Equal(atPause["gpu_seconds"]!.GetValue<decimal>(), anHourLater["gpu_seconds"]!.GetValue<decimal>());
        await (await Problem(user, id, "pause")).Problem(409);

        var resumed = await Lifecycle(user, id, "resume", 202);
        Assert.Equal("running", resumed["status"]!.GetValue<string>());
        await (await Problem(user, id, "resume")).Problem(409);
        platform.Clock.Advance(TimeSpan.FromSeconds(5)); // 200 simulated seconds: the restart (120) done, training again
        await platform.PollAsync(user, id, 4);
        var running = (await platform.JobAsync(user, id))["job"]!;
        Assert.Equal(2, running["attempt"]!.GetValue<int>());

        var done = (await platform.RunToEndAsync(user, id, pollNumber: 5))["job"]!;
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        var attempts = done["attempts"]!.AsArray();
        Assert.Equal(["paused", "completed"], attempts.Select(a => a!["outcome"]!.GetValue<string>()));
        Assert.Equal(step, attempts[1]!["from_step"]!.GetValue<int>());
        Assert.Equal(0, done["recovery_count"]!.GetValue<int>());
        var events = await platform.EventTypesAsync(user, id);
        Assert.Contains("training_job_paused", events);
        Assert.Contains("training_job_resumed", events);
    }

    [Fact]
    public async Task a_pause_retried_after_the_user_resumed_is_not_sent_and_the_job_keeps_running()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();
        platform.Clock.Advance(TimeSpan.FromSeconds(20));
        await platform.PollAsync(user, id, 1);
        await Lifecycle(user, id, "pause", 202);
        await platform.PollAsync(user, id, 2);
        await Lifecycle(user, id, "resume", 202);
        platform.Clock.Advance(TimeSpan.FromSeconds(5)); // the restart done: attempt 2 trains
        await platform.PollAsync(user, id, 3);
        var external = (await platform.JobAsync(user, id))["job"]!["external_job_id"]!.GetValue<string>();

        // the pause's message once more, as its retry would arrive when the cluster had refused it while starting the job
        await platform.Host.InvokeMessageAndWaitAsync(new Execution.PauseOnCluster(id, external), user.Tenant, 60_000);
        platform.Clock.Advance(TimeSpan.FromSeconds(5));
        await platform.PollAsync(user, id, 4);

        var job = (await platform.JobAsync(user, id))["job"]!;
        Assert.Equal(("running", 2), (job["status"]!.GetValue<string>(), job["attempt"]!.GetValue<int>()));
        Assert.Equal("completed", (await platform.RunToEndAsync(user, id, pollNumber: 5))["job"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_job_that_is_not_running_cannot_be_paused_nor_one_that_is_not_paused_resumed_and_another_users_is_not_found()
    {
        var user = await platform.CreateUserAsync();
        var stranger = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();

        var early = await (await Problem(user, id, "pause")).Problem(409); // running, but not yet reported on: the cluster may not pause
        Assert.Contains("not reported", early["detail"]!.GetValue<string>());
        await (await Problem(user, id, "resume")).Problem(409);
        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/jobs/{id}/pause", $"/api/jobs/{Guid.NewGuid()}/pause", HttpMethod.Post);

        await platform.RunToEndAsync(user, id);
        var ended = await (await Problem(user, id, "pause")).Problem(409);
        Assert.Contains("'completed'", ended["detail"]!.GetValue<string>());
    }

    private async Task<JsonNode> Lifecycle(TestUser user, Guid id, string action, int status)
    {
        IScenarioResult? result = null;
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<Wolverine.IMessageContext, Task>)(async _ =>
            result = await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Url($"/api/jobs/{id}/{action}");
                s.StatusCodeShouldBe(status);
            })));
        return await result!.Data();
    }

    private Task<IScenarioResult> Problem(TestUser user, Guid id, string action) =>
        platform.Host.Scenario(s =>
        {
            s.As(user).Post.Url($"/api/jobs/{id}/{action}");
            s.StatusCodeShouldBe(409);
        });
}
