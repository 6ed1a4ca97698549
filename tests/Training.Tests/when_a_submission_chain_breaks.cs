using LoraPipeline.TestKit;
using LoraPipeline.Training.Execution;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Training.Tests;

/// <summary>
/// On <see cref="SubmissionsFailHost"/>: the cluster refuses submissions until a test says otherwise, and a
/// failed attempt's retry would come an hour later. Both tests stop at attempt 2, within its limit of 3.
/// </summary>
public sealed class when_a_submission_chain_breaks(SubmissionsFailHost platform) : IClassFixture<SubmissionsFailHost>
{
    [Fact]
    public async Task the_watch_sends_the_next_attempt_once_the_job_has_waited_longer_than_any_back_off()
    {
        platform.SimulatorFaults.SubmitFailureRate = 1;
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();
        Assert.Equal(1, (await platform.JobAsync(user, id))["job"]!["retry_count"]!.GetValue<int>());
        var watch = platform.Host.Services.GetRequiredService<JobWatch>();

        // attempt 1 failed a moment ago and attempt 2 is scheduled: not stalled
        var early = await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60))
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(_ => watch.RearmStalledSubmissionsAsync(CancellationToken.None)));
        Assert.DoesNotContain(early.Executed.MessagesOf<SubmitTrainingJob>(), s => s.JobId == id);

        // once the wait is longer than any back-off, the watch sends attempt 2 (as it would after the scheduled one failed
        // for good). The scheduled attempt 2, due on the test clock by now, may run beside it: whichever runs second
        // finds the attempt taken and stops, so the job is submitted once.
        platform.Clock.Advance(TimeSpan.FromMinutes(11));
        platform.SimulatorFaults.SubmitFailureRate = 0;
        var rearmed = 0;
        var late = await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60))
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ => rearmed = await watch.RearmStalledSubmissionsAsync(CancellationToken.None)));
        Assert.Equal(1, rearmed);
        var attempts = late.Executed.MessagesOf<SubmitTrainingJob>().Where(s => s.JobId == id).Select(s => s.Attempt).ToList();
        Assert.NotEmpty(attempts);
        Assert.All(attempts, attempt => Assert.Equal(2, attempt));
        var job = (await platform.JobAsync(user, id))["job"]!;
        Assert.Equal("running", job["status"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(job["external_job_id"]?.GetValue<string>()));
        Assert.Single(await platform.EventTypesAsync(user, id), e => e == "training_job_submitted");
    }

    [Fact]
    public async Task an_attempt_delivered_twice_at_once_leaves_one_cluster_job_running_not_cancelled()
    {
        platform.SimulatorFaults.SubmitFailureRate = 1;
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();

        // both deliveries of attempt 2 pass their first check, then wait a second on the cluster, which answers both with one job
        platform.SimulatorFaults.SubmitFailureRate = 0;
        platform.SimulatorFaults.SubmitDelay = TimeSpan.FromSeconds(1);
        try
        {
            var twice = await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60))
                .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(c => Task.WhenAll(
                    c.InvokeForTenantAsync(user.Tenant, new SubmitTrainingJob(id, 2)),
                    c.InvokeForTenantAsync(user.Tenant, new SubmitTrainingJob(id, 2)))));
            Assert.Empty(twice.Executed.MessagesOf<CancelOnCluster>());
        }
        finally
        {
            platform.SimulatorFaults.SubmitDelay = TimeSpan.Zero;
        }

        var events = await platform.EventTypesAsync(user, id);
        Assert.Single(events, e => e == "training_job_submitted");
        var job = (await platform.RunToEndAsync(user, id))["job"]!;
        Assert.Equal("completed", job["status"]!.GetValue<string>());
    }
}
