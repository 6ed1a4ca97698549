using LoraPipeline.Artifacts.Collecting;
using LoraPipeline.Artifacts.Model;
using LoraPipeline.TestKit;
using Marten;
using Wolverine.Tracking;

namespace LoraPipeline.Artifacts.Tests;

/// <summary>Half the cluster's file downloads fail; retries run when the test says so.</summary>
public sealed class FlakyArtifactsHost : ClusterHost
{
    protected override void ConfigureSimulator(IDictionary<string, string?> settings) => settings["Simulator:Faults:ArtifactFailureRate"] = "0.5";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Artifacts:RetryDelay"] = "01:00:00";
        settings["Artifacts:MaxCollectionAttempts"] = "40";
        settings["GpuCluster:DownloadRetries"] = "0"; // this test is about collection attempts, not a download's own retries
    }
}

public sealed class when_artifact_downloads_fail_at_random(FlakyArtifactsHost platform) : IClassFixture<FlakyArtifactsHost>
{
    [Fact]
    public async Task the_model_still_appears_once_complete_and_no_file_is_stored_twice()
    {
        var user = await platform.CreateUserAsync();
        Guid jobId, artifactId;
        string external;
        ModelArtifact? model;
        var jobsTried = 0;
        do
        {
            // each download fails at random, so one first attempt in 16 gets all four files: retries are what this test is
            // about, so take the first job whose first attempt did not finish (8 tries: a 1 in 4 billion chance of none)
            jobsTried++;
            var (completedId, job) = await platform.CompletedJobAsync(user);
            (jobId, artifactId, external) = (completedId, ArtifactCollector.ArtifactIdFor(completedId), job["external_job_id"]!.GetValue<string>());
            await using var session = platform.Store.QuerySession(user.Tenant);
            model = await session.LoadAsync<ModelArtifact>(artifactId);
        }
        while (model is { Status: ArtifactStatus.Stored } && jobsTried < 8);

        Assert.Equal(ArtifactStatus.Collecting, model?.Status);
        var attempt = 1;
        while (model is { Status: ArtifactStatus.Collecting } && attempt < 40)
        {
            attempt++;
            await platform.Host.InvokeMessageAndWaitAsync(new RetryArtifactCollection(jobId, user.Id, external, attempt), user.Tenant, 60_000);
            await using var session = platform.Store.QuerySession(user.Tenant);
            model = await session.LoadAsync<ModelArtifact>(artifactId);
        }

        Assert.NotNull(model);
        Assert.Equal(ArtifactStatus.Stored, model.Status);
        Assert.Equal(4, model.Artifacts.Count);

        await using (var session = platform.Store.QuerySession(user.Tenant))
        {
            var events = await session.Events.FetchStreamAsync(artifactId);
            var stored = events.Select(e => e.Data).OfType<ArtifactFileStored>().ToList();
            Assert.Equal(stored.Count, stored.Select(f => f.FileName).Distinct().Count());
            Assert.Single(events, e => e.Data is ModelArtifactStored);
            Assert.Single(events, e => e.Data is LoraPipeline.Artifacts.Contracts.ArtifactReady);
        }

        var linked = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/jobs/{jobId}"))).Data();
        Assert.Equal(artifactId, linked["job"]!["artifact_id"]!.GetValue<Guid>());
    }
}
