using LoraPipeline.TestKit;
using LoraPipeline.TestKit.Processes;

namespace LoraPipeline.Reliability.Tests;

/// <summary>The test-suite size of the several-nodes scenario: 2 nodes share 12 jobs, then the first dies.</summary>
[Collection(HostProcesses.Name)]
public sealed class when_a_node_dies
{
    [Fact]
    public async Task the_survivor_takes_over_its_polls_and_projections_within_30_seconds_with_every_guarantee()
    {
        var outcome = await NodesScenario.RunAsync(await TestDatabase.ConnectionStringAsync(), nodes: 2, jobs: 12);

        Assert.All(outcome.SubmissionsByNode, submitted => Assert.True(submitted > 0, "both nodes submit the jobs created through them"));
        Assert.NotEmpty(outcome.PollGaps);
        Assert.True(outcome.PollTakeoverSeconds <= 30, $"the dead node's jobs went unpolled {outcome.PollTakeoverSeconds:0.0} s beyond their interval");
        Assert.True(outcome.ProjectionTakeoverSeconds <= 30, $"the projections stood still {outcome.ProjectionTakeoverSeconds:0.0} s after the kill");

        var guarantees = outcome.Guarantees;
        Assert.Equal(12, guarantees.Completed);
        Assert.Equal(12, guarantees.JobsWithOneTerminalEvent);
        Assert.Equal(12, guarantees.TerminalEvents);
        Assert.Equal(12, guarantees.ClusterJobs);
        Assert.Equal(12, guarantees.ClusterIdsMatching);
        Assert.Equal(12, guarantees.ComputeRecords);
        Assert.Equal(12, guarantees.Models);
        Assert.Equal(12, guarantees.StorageRecords);
        Assert.Equal(12, guarantees.JobsWithOneNotificationPerStep);
    }
}
