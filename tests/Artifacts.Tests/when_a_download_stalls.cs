using LoraPipeline.Artifacts.Collecting;
using LoraPipeline.Artifacts.Model;
using LoraPipeline.TestKit;
using Marten;
using Wolverine.Tracking;

namespace LoraPipeline.Artifacts.Tests;

/// <summary>Every file's first download sends a little, then nothing; the platform waits at most a second of silence.</summary>
public sealed class StallingArtifactsHost : ClusterHost
{
    protected override void ConfigureSimulator(IDictionary<string, string?> settings) => settings["Simulator:Faults:ArtifactStallsPerFile"] = "1";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["GpuCluster:DownloadIdleTimeout"] = "00:00:01";
        settings["Artifacts:RetryDelay"] = "01:00:00"; // the retry is run by the test
    }
}

/// <summary>A stalled download fails its collection attempt (retried) instead of holding the collection for hours.</summary>
public sealed class when_a_download_stalls(StallingArtifactsHost platform) : IClassFixture<StallingArtifactsHost>
{
    [Fact]
    public async Task the_attempt_fails_with_the_stall_as_its_reason_and_the_next_one_stores_the_model()
    {
        var user = await platform.CreateUserAsync();
        var started = DateTime.UtcNow;
        var (jobId, job) = await platform.CompletedJobAsync(user);
        var artifactId = ArtifactCollector.ArtifactIdFor(jobId);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60), "the stall was cut short");

        await using (var session = platform.Store.QuerySession(user.Tenant))
        {
            var failed = (await session.Events.FetchStreamAsync(artifactId)).Select(e => e.Data).OfType<ArtifactCollectionAttemptFailed>().Single();
            Assert.Contains("stalled: no data for 1 s", failed.Reason);
        }

        // each file stalls once: the first file's retry goes through, the next file stalls, and so on
        for (var attempt = 2; attempt <= 5; attempt++)
        {
            await platform.Host.InvokeMessageAndWaitAsync(
                new RetryArtifactCollection(jobId, user.Id, job["external_job_id"]!.GetValue<string>(), attempt), user.Tenant, 60_000);
        }

        var model = await platform.ModelAsync(user, artifactId);
        Assert.Equal("stored", model["status"]!.GetValue<string>());
        Assert.Equal(4, model["artifacts"]!.AsArray().Count);
    }
}
