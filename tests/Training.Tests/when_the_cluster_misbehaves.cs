using Alba;
using LoraPipeline.TestKit;
using LoraPipeline.Training.Execution;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Training.Tests;

public sealed class SubmissionsFailHost : ClusterHost
{
    protected override void ConfigureSimulator(IDictionary<string, string?> settings) => settings["Simulator:Faults:SubmitFailureRate"] = "1";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["GpuCluster:MaxSubmitAttempts"] = "3";
        settings["GpuCluster:SubmitRetryDelay"] = "01:00:00"; // the test runs each attempt itself
    }
}

public sealed class when_submissions_keep_failing(SubmissionsFailHost platform) : IClassFixture<SubmissionsFailHost>
{
    [Fact]
    public async Task each_attempt_counts_and_after_the_last_the_job_fails_with_the_reason()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();

        var afterFirst = (await platform.JobAsync(user, id))["job"]!;
        Assert.Equal("initializing", afterFirst["status"]!.GetValue<string>());
        Assert.Equal(1, afterFirst["retry_count"]!.GetValue<int>());

        await platform.SubmitAttemptAsync(user, id, 2);
        await platform.SubmitAttemptAsync(user, id, 2); // a duplicate changes nothing
        await platform.SubmitAttemptAsync(user, id, 3);

        var failed = (await platform.JobAsync(user, id))["job"]!;
        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.Equal(3, failed["retry_count"]!.GetValue<int>());
        Assert.Contains("after 3 attempts", failed["error_message"]!.GetValue<string>());
        Assert.Equal(0m, failed["final_cost"]!.GetValue<decimal>());
    }
}

public sealed class JobsGetLostHost : ClusterHost
{
    protected override void ConfigureSimulator(IDictionary<string, string?> settings) => settings["Simulator:Faults:LostJobRate"] = "1";
}

public sealed class when_the_cluster_loses_a_job(JobsGetLostHost platform) : IClassFixture<JobsGetLostHost>
{
    [Fact]
    public async Task the_job_fails_saying_the_cluster_lost_it()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();

        var job = (await platform.RunToEndAsync(user, id))["job"]!;
        Assert.Equal("failed", job["status"]!.GetValue<string>());
        Assert.Contains("lost the job", job["error_message"]!.GetValue<string>());
        Assert.True(job["final_cost"]!.GetValue<decimal>() > 0m, "GPU time used before the loss is still billed");
    }
}

public sealed class StatusFailsHost : ClusterHost
{
    protected override void ConfigureSimulator(IDictionary<string, string?> settings) => settings["Simulator:Faults:StatusFailureRate"] = "1";

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["GpuCluster:StatusUnreadableFor"] = "00:15:00";
    }
}

/// <summary>
/// A job fails when its status could not be read for a period, not after a count of failed polls: with a poll
/// every second, a ten-second outage once failed every running job.
/// </summary>
public sealed class when_the_cluster_status_keeps_failing(StatusFailsHost platform) : IClassFixture<StatusFailsHost>
{
    [Fact]
    public async Task the_job_fails_once_its_status_was_unreadable_for_the_configured_period_not_before()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();

        // many failed polls within the period: still running
        for (var poll = 1; poll <= 5; poll++)
        {
            platform.Clock.Advance(TimeSpan.FromMinutes(2));
            await platform.PollAsync(user, id, poll);
        }

        var stillRunning = (await platform.JobAsync(user, id))["job"]!;
        Assert.Equal("running", stillRunning["status"]!.GetValue<string>());
        Assert.Equal(5, (await platform.StoredJobAsync(user, id)).ConsecutiveStatusFailures);

        platform.Clock.Advance(TimeSpan.FromMinutes(5)); // 15 minutes since the job started, its status never read
        var sixth = await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(120))
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(c => c.InvokeForTenantAsync(user.Tenant, new PollTrainingJob(id, 6))));
        var failed = (await platform.JobAsync(user, id))["job"]!;
        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        Assert.Contains("could not be read for 15 minutes (6 attempts in a row", failed["error_message"]!.GetValue<string>());
        // the cluster may still be training it: it is told to stop, so it does not bill on
        var cancel = sixth.Executed.SingleMessage<CancelOnCluster>();
        Assert.Equal((id, failed["external_job_id"]!.GetValue<string>()), (cancel.JobId, cancel.ExternalJobId));
    }
}

public sealed class JobsFailHost : ClusterHost
{
    protected override void ConfigureSimulator(IDictionary<string, string?> settings) => settings["Simulator:Faults:JobFailureRate"] = "1";
}

public sealed class when_training_fails_on_the_cluster(JobsFailHost platform) : IClassFixture<JobsFailHost>
{
    [Fact]
    public async Task the_job_fails_with_the_clusters_reason_and_its_gpu_time_is_billed()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user, examples: 400)))["id"]!.GetValue<Guid>();

        var job = (await platform.RunToEndAsync(user, id))["job"]!;
        Assert.Equal("failed", job["status"]!.GetValue<string>());
        Assert.Contains("The GPU cluster reported a failure", job["error_message"]!.GetValue<string>());
        Assert.Null(job["artifact_id"]?.GetValue<Guid?>());
    }
}
