using LoraPipeline.TestKit;
using LoraPipeline.TestKit.Processes;

namespace LoraPipeline.Reliability.Tests;

/// <summary>
/// The test-suite size of the faults scenario: 24 jobs with fault rates high enough that a run this
/// small meets every kind of fault (the reliability suite runs 200 jobs at the rates).
/// </summary>
[Collection(HostProcesses.Name)]
public sealed class when_the_cluster_is_unreliable
{
    private static readonly Dictionary<string, string> HighRates = new(FaultScenario.Faults)
    {
        ["Simulator:Faults:SubmitFailureRate"] = "0.3",
        ["Simulator:Faults:StatusFailureRate"] = "0.25",
        ["Simulator:Faults:LostJobRate"] = "0.2",
        ["Simulator:Faults:JobFailureRate"] = "0.2",
        ["Simulator:Faults:ArtifactFailureRate"] = "0.3",
        ["Simulator:PreemptionRate"] = "0.5", // of 24 jobs about 14 run to the end: at 0.3 none was preempted now and then
    };

    [Fact]
    public async Task every_job_ends_as_the_cluster_says_with_a_reason_and_every_guarantee()
    {
        var outcome = await FaultScenario.RunAsync(await TestDatabase.ConnectionStringAsync(), jobs: 24, HighRates);

        Assert.All(outcome.Jobs, job => Assert.Equal(job.Expected, job.Actual));
        // counted where the faults are made: our client's own retries hide most of them from the
        // handlers, so the job events alone would show a fault only now and then
        Assert.True(outcome.Injected("submit_failure") > 0, "the cluster refused some submissions");
        Assert.True(outcome.Injected("status_failure") > 0, "the cluster failed some status checks");
        Assert.True(outcome.Injected("artifact_failure") > 0, "the cluster refused some model downloads");
        Assert.Contains(outcome.Jobs, job => job.Expected != "Completed");

        var guarantees = outcome.Guarantees;
        Assert.Equal(24, guarantees.Jobs);
        Assert.Equal(24, guarantees.JobsWithOneTerminalEvent);
        Assert.Equal(24, guarantees.TerminalEvents);
        Assert.Equal(outcome.Jobs.Count(j => j.Accepted), guarantees.ClusterJobs);
        Assert.Equal(guarantees.ClusterJobs, guarantees.ClusterIdsMatching);
        Assert.Equal(guarantees.StartedJobs, guarantees.ComputeRecords);
        Assert.Equal(guarantees.Completed, guarantees.Models);
        Assert.Equal(guarantees.Completed, guarantees.StorageRecords);
        Assert.Equal(24, guarantees.JobsWithOneNotificationPerStep);
        Assert.True(guarantees.RecoveredJobs > 0, "some jobs were preempted and recovered");
        Assert.Equal(guarantees.RecoveredJobs, guarantees.ClusterResumes);
        Assert.Equal(guarantees.FinalCosts, guarantees.ComputeBilled);
    }
}
