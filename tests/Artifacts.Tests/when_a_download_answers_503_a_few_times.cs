using LoraPipeline.Artifacts.Collecting;
using LoraPipeline.Artifacts.Model;
using LoraPipeline.TestKit;
using Marten;
using Npgsql;

namespace LoraPipeline.Artifacts.Tests;

/// <summary>Every file's first two downloads answer 503; a failed attempt's retry would wait an hour.</summary>
public sealed class StutteringArtifactsHost : ClusterHost
{
    protected override void ConfigureSimulator(IDictionary<string, string?> settings) => settings["Simulator:Faults:ArtifactFailuresPerFile"] = "2";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Artifacts:RetryDelay"] = "01:00:00";
        settings["GpuCluster:DownloadRetryDelay"] = "00:00:00.050";
    }
}

public sealed class when_a_download_answers_503_a_few_times(StutteringArtifactsHost platform) : IClassFixture<StutteringArtifactsHost>
{
    [Fact]
    public async Task the_download_is_retried_and_the_first_collection_attempt_stores_the_model()
    {
        var user = await platform.CreateUserAsync();
        var (jobId, _) = await platform.CompletedJobAsync(user);

        await using var session = platform.Store.QuerySession(user.Tenant);
        var artifactId = ArtifactCollector.ArtifactIdFor(jobId);
        var model = await session.LoadAsync<ModelArtifact>(artifactId);
        Assert.Equal(ArtifactStatus.Stored, model?.Status);
        Assert.Equal(4, model!.Artifacts.Count);
        var events = await session.Events.FetchStreamAsync(artifactId);
        Assert.DoesNotContain(events, e => e.Data is ArtifactCollectionAttemptFailed);

        // the cluster did refuse them: two 503s for each of the four files, each retried in place
        await using var db = NpgsqlDataSource.Create(platform.ConnectionString);
        await using var count = db.CreateCommand($"select injected from \"{platform.Schema}_sim\".injected_faults where kind = 'artifact_failure'");
        Assert.Equal(8, Convert.ToInt32(await count.ExecuteScalarAsync()));
    }
}
