using System.Text.Json.Nodes;
using Alba;
using Marten.Events;
using LoraPipeline.Artifacts.Collecting;
using LoraPipeline.Artifacts.Model;
using LoraPipeline.TestKit;
using Marten;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Artifacts.Tests;

/// <summary>The cluster's storage is down (every download 503); two attempts, the second when the test says so.</summary>
public sealed class StorageOutageHost : ClusterHost
{
    protected override void ConfigureSimulator(IDictionary<string, string?> settings) => settings["Simulator:Faults:ArtifactFailureRate"] = "1";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Artifacts:RetryDelay"] = "01:00:00";
        settings["Artifacts:MaxCollectionAttempts"] = "2";
        settings["GpuCluster:DownloadRetries"] = "0";
    }
}

public sealed class when_a_collection_gives_up(StorageOutageHost platform) : IClassFixture<StorageOutageHost>
{
    [Fact]
    public async Task the_user_is_told_and_collecting_again_once_the_storage_is_back_stores_the_model()
    {
        var user = await platform.CreateUserAsync();
        var other = await platform.CreateUserAsync();
        var (jobId, job) = await platform.CompletedJobAsync(user);
        var modelId = ArtifactCollector.ArtifactIdFor(jobId);
        Assert.Equal("collecting", (await platform.ModelAsync(user, modelId))["status"]!.GetValue<string>());
        await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Url($"/api/models/{modelId}/collect");
            s.StatusCodeShouldBe(409); // attempt 2 is still to come
        });

        await platform.Host.InvokeMessageAndWaitAsync(
            new RetryArtifactCollection(jobId, user.Id, job["external_job_id"]!.GetValue<string>(), 2), user.Tenant, 60_000);
        var failed = await platform.ModelAsync(user, modelId);
        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.Contains("failed 2 times", failed["collection_error"]!.GetValue<string>());

        await platform.Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(60));
        var inbox = (await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/notifications?limit=100"))).Data())["notifications"]!.AsArray();
        var told = Assert.Single(inbox, n => n!["type"]!.GetValue<string>() == "artifact_failed")!;
        Assert.Equal($"/models/{modelId}", told["action_url"]!.GetValue<string>());
        Assert.Equal("high", told["priority"]!.GetValue<string>());
        Assert.Contains("Retry from the model's page", told["message"]!.GetValue<string>());

        await platform.Host.Scenario(s =>
        {
            s.As(other).Post.Url($"/api/models/{modelId}/collect");
            s.StatusCodeShouldBe(404);
        });

        platform.SimulatorFaults.ArtifactFailureRate = 0; // the storage is back
        IScenarioResult? accepted = null;
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
            accepted = await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Url($"/api/models/{modelId}/collect");
                s.StatusCodeShouldBe(202);
            })));
        var restarted = await accepted!.Data();
        Assert.Equal("collecting", restarted["status"]!.GetValue<string>());
        Assert.Equal(0, restarted["collection_attempts"]!.GetValue<int>());

        var stored = await platform.ModelAsync(user, modelId);
        Assert.Equal("stored", stored["status"]!.GetValue<string>());
        Assert.Equal(4, stored["artifacts"]!.AsArray().Count);
        var linked = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/jobs/{jobId}"))).Data();
        Assert.Equal(modelId, linked["job"]!["artifact_id"]!.GetValue<Guid>());

        await using (var session = platform.Store.QuerySession(user.Tenant))
        {
            var events = (await session.Events.FetchStreamAsync(modelId)).Select(e => e.Data).ToList();
            Assert.Single(events.OfType<ArtifactCollectionRestarted>());
            Assert.Single(events.OfType<LoraPipeline.Artifacts.Contracts.ArtifactReady>());
        }

        var again = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Url($"/api/models/{modelId}/collect");
            s.StatusCodeShouldBe(409);
        });
        Assert.Equal("Model already stored", (await again.ReadAsJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
    }
}
