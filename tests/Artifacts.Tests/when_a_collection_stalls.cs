using LoraPipeline.Artifacts.Collecting;
using LoraPipeline.Artifacts.Model;
using LoraPipeline.TestKit;
using LoraPipeline.Training.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Artifacts.Tests;

/// <summary>On <see cref="StorageOutageHost"/>: every download fails, a failed attempt's retry would come an hour later.</summary>
public sealed class when_a_collection_stalls(StorageOutageHost platform) : IClassFixture<StorageOutageHost>
{
    [Fact]
    public async Task the_watch_collects_again_once_it_has_been_quiet_for_longer_than_an_attempt_may_take()
    {
        var user = await platform.CreateUserAsync();
        var (jobId, _) = await platform.CompletedJobAsync(user);
        var modelId = ArtifactCollector.ArtifactIdFor(jobId);
        Assert.Equal("collecting", (await platform.ModelAsync(user, modelId))["status"]!.GetValue<string>());
        var watch = platform.Host.Services.GetRequiredService<CollectionWatch>();

        // its first attempt failed a moment ago and the next is scheduled: not stalled
        Assert.Equal(0, await watch.RestartStalledCollectionsAsync(CancellationToken.None));

        // the next attempt's message is lost (as after one that failed for good); 90 minutes later the watch starts it
        platform.Clock.Advance(TimeSpan.FromMinutes(91));
        platform.SimulatorFaults.ArtifactFailureRate = 0;
        var round = await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(120))
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(_ => watch.RestartStalledCollectionsAsync(CancellationToken.None)));
        Assert.Equal(2, round.Executed.MessagesOf<RetryArtifactCollection>().Single(r => r.JobId == jobId).Attempt);

        var model = await platform.ModelAsync(user, modelId);
        Assert.Equal("stored", model["status"]!.GetValue<string>());
        var job = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/jobs/{jobId}"))).Data();
        Assert.Equal(modelId, job["job"]!["artifact_id"]!.GetValue<Guid>());
        Assert.Equal(0, await watch.RestartStalledCollectionsAsync(CancellationToken.None));
    }

    [Fact]
    public void what_a_completed_job_without_a_linked_model_needs()
    {
        var job = new CompletedJobWithoutModel(Guid.NewGuid(), Guid.NewGuid(), "sim-1", DateTimeOffset.UnixEpoch);
        var quietSince = DateTimeOffset.UnixEpoch.AddHours(2);
        ModelArtifact Model(ArtifactStatus status, double hoursAfterEpoch, int attempts = 0, bool deleted = false) => new()
        {
            Status = status, UpdatedAt = DateTimeOffset.UnixEpoch.AddHours(hoursAfterEpoch), CollectionAttempts = attempts,
            DeletedAt = deleted ? DateTimeOffset.UnixEpoch : null,
        };

        // never began: collect; stored but not linked: a collection links it
        Assert.Equal(new CollectArtifacts(job.JobId, job.UserId, "sim-1"), CollectionWatch.Decide(job, null, quietSince));
        Assert.IsType<CollectArtifacts>(CollectionWatch.Decide(job, Model(ArtifactStatus.Stored, 3), quietSince));
        Assert.IsType<CollectArtifacts>(CollectionWatch.Decide(job, Model(ArtifactStatus.Flagged, 3), quietSince));
        // collecting: the next attempt when quiet for too long, nothing while it is moving
        Assert.Equal(new RetryArtifactCollection(job.JobId, job.UserId, "sim-1", 4), CollectionWatch.Decide(job, Model(ArtifactStatus.Collecting, 1, attempts: 3), quietSince));
        Assert.Null(CollectionWatch.Decide(job, Model(ArtifactStatus.Collecting, 3, attempts: 3), quietSince));
        // gave up (the user was told and decides) or deleted: nothing
        Assert.Null(CollectionWatch.Decide(job, Model(ArtifactStatus.Failed, 1), quietSince));
        Assert.Null(CollectionWatch.Decide(job, Model(ArtifactStatus.Collecting, 1, deleted: true), quietSince));
    }
}
