using LoraPipeline.TestKit;
using LoraPipeline.TestKit.Processes;

namespace LoraPipeline.Reliability.Tests;

/// <summary>
/// The test-suite size of the crash scenario: 16 jobs, half of them preempted once, the Host killed twice while they
/// run (so also while jobs recover).
/// </summary>
[Collection(HostProcesses.Name)]
public sealed class when_the_host_is_killed
{
    [Fact]
    public async Task no_job_is_lost_none_is_submitted_twice_and_each_ends_once_with_one_bill_and_one_notification_per_step()
    {
        var outcome = (await CrashScenario.RunAsync(await TestDatabase.ConnectionStringAsync(), jobs: 16, kills: 2, preemptionRate: 0.5)).Guarantees;

        Assert.Equal(16, outcome.Completed);
        Assert.Equal(16, outcome.JobsWithOneTerminalEvent);
        Assert.Equal(16, outcome.TerminalEvents);
        Assert.Equal(16, outcome.ClusterJobs);          // one cluster job per job, whatever was retried
        Assert.Equal(16, outcome.ClusterIdsMatching);   // and it is the one the job records
        Assert.Equal(16, outcome.ComputeRecords);
        Assert.Equal(16, outcome.Models);
        Assert.Equal(16, outcome.StorageRecords);
        Assert.Equal(16, outcome.JobsWithOneNotificationPerStep);
        Assert.Equal(1, outcome.ReadyDatasets);
        Assert.True(outcome.RecoveredJobs > 0, "some jobs were preempted and recovered");
        Assert.Equal(outcome.RecoveredJobs, outcome.ClusterResumes); // each recovery restarted once on the cluster
        Assert.Equal(outcome.FinalCosts, outcome.ComputeBilled);     // the bills add up to the final costs, to the cent
    }
}
