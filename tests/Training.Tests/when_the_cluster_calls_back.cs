using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;
using LoraPipeline.Training.Execution;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Training.Tests;

/// <summary>Pushed reports: accepted only with a fresh, valid signature; recorded like a poll's, without duplicates.</summary>
public sealed class when_the_cluster_calls_back(ClusterHost platform) : IClassFixture<ClusterHost>
{
    private static string Report(string externalId, int step, double loss, string status = "running") => new JsonObject
    {
        ["external_job_id"] = externalId,
        ["status"] = status,
        ["stage"] = "training",
        ["progress"] = 40,
        ["current_epoch"] = 1,
        ["total_epochs"] = 2,
        ["current_step"] = step,
        ["total_steps"] = 20,
        ["metrics"] = new JsonObject
        {
            ["step"] = step, ["epoch"] = 1, ["training_loss"] = loss, ["learning_rate"] = 0.0001, ["gradient_norm"] = 0.9,
            ["throughput"] = 1700, ["gpu_utilization"] = 93, ["timestamp"] = "2026-11-25T09:00:10Z",
        },
        ["metrics_history"] = new JsonArray(),
    }.ToJsonString();

    private Task<IScenarioResult> Push(TestUser user, Guid jobId, string body, string? timestamp = null, string? signature = null, int expected = 202)
    {
        timestamp ??= platform.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        signature ??= CallbackSignature.Compute(ClusterHost.CallbackSecret, timestamp, "POST", $"/api/gpu-callbacks/{user.Id}/{jobId}", body);
        return platform.Host.Scenario(s =>
        {
            s.Post.Text(body).ToUrl($"/api/gpu-callbacks/{user.Id}/{jobId}");
            s.WithRequestHeader("X-Cluster-Timestamp", timestamp);
            s.WithRequestHeader("X-Cluster-Signature", signature);
            s.StatusCodeShouldBe(expected);
        });
    }

    [Fact]
    public async Task a_signed_push_records_its_metrics_once()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();
        var external = (await platform.JobAsync(user, id))["job"]!["external_job_id"]!.GetValue<string>();
        var body = Report(external, step: 7, loss: 1.25);

        var now = platform.Clock.GetUtcNow().ToUnixTimeSeconds();
        await Push(user, id, body, (now - 1).ToString(CultureInfo.InvariantCulture));
        await Push(user, id, body, now.ToString(CultureInfo.InvariantCulture)); // the same report again, signed anew

        var job = await platform.JobAsync(user, id);
        Assert.Equal(7, job["job"]!["current_step"]!.GetValue<int>());
        Assert.Equal(1.25, job["job"]!["current_metrics"]!["training_loss"]!.GetValue<double>());
        Assert.Single(job["metrics"]!.AsArray());
        Assert.Single(await platform.EventTypesAsync(user, id), t => t == "training_metrics_recorded");
    }

    [Fact]
    public async Task a_push_with_a_wrong_signature_or_an_old_timestamp_is_refused_and_changes_nothing()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();
        var external = (await platform.JobAsync(user, id))["job"]!["external_job_id"]!.GetValue<string>();
        var body = Report(external, step: 9, loss: 1.1);
        var eventsBefore = (await platform.EventTypesAsync(user, id)).Count;

        var forged = await Push(user, id, body, signature: "sha256=" + new string('0', 64), expected: 401);
        await forged.Problem(401);
        var tampered = body.Replace("1.1", "0.1", StringComparison.Ordinal);
        var ts = platform.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        await Push(user, id, tampered, ts, CallbackSignature.Compute(ClusterHost.CallbackSecret, ts, "POST", $"/api/gpu-callbacks/{user.Id}/{id}", body), expected: 401);
        // a valid signature of another job's callback, or of the old scheme without method and path
        var otherJob = Guid.NewGuid();
        await Push(user, id, body, ts, CallbackSignature.Compute(ClusterHost.CallbackSecret, ts, "POST", $"/api/gpu-callbacks/{user.Id}/{otherJob}", body), expected: 401);
        await Push(user, id, body, ts, "sha256=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(ClusterHost.CallbackSecret), Encoding.UTF8.GetBytes($"{ts}.{body}"))), expected: 401);
        var old = platform.Clock.GetUtcNow().AddMinutes(-30).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        await Push(user, id, body, old, expected: 401);
        await Push(user, id, body, signature: "", expected: 401);

        Assert.Equal(eventsBefore, (await platform.EventTypesAsync(user, id)).Count);
    }

    [Fact]
    public async Task a_replayed_push_is_refused_even_within_the_timestamp_window()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();
        var external = (await platform.JobAsync(user, id))["job"]!["external_job_id"]!.GetValue<string>();
        var body = Report(external, step: 5, loss: 1.4);
        var ts = platform.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

        await Push(user, id, body, ts);
        var replay = await Push(user, id, body, ts, expected: 401);

        Assert.Contains("already received", (await replay.Problem(401))["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_push_for_a_job_of_another_user_changes_nothing()
    {
        var owner = await platform.CreateUserAsync();
        var stranger = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(owner, await platform.ReadyDatasetAsync(owner)))["id"]!.GetValue<Guid>();
        var external = (await platform.JobAsync(owner, id))["job"]!["external_job_id"]!.GetValue<string>();
        var eventsBefore = (await platform.EventTypesAsync(owner, id)).Count;

        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(30)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
            await Push(stranger, id, Report(external, step: 3, loss: 2.0))));

        Assert.Equal(eventsBefore, (await platform.EventTypesAsync(owner, id)).Count);
    }

    [Fact]
    public async Task a_malformed_push_is_a_400()
    {
        var user = await platform.CreateUserAsync();
        var result = await Push(user, Guid.NewGuid(), "{\"status\": ", expected: 400);
        await result.Problem(400);
    }
}
