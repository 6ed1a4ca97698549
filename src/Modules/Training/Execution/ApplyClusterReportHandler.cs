using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Marten;

namespace LoraPipeline.Training.Execution;

/// <summary>
/// A pushed report appends the same events a poll would (deduplicated by step); it does not take
/// a poll number, so the chain of polls goes on untouched until the job ends. The stream is locked
/// while deciding, so a push and a poll of the same step record it once.
/// </summary>
public static class ApplyClusterReportHandler
{
    public static (Events, OutgoingMessages) Handle(
        ApplyClusterReport command,
        [WriteAggregate(nameof(ApplyClusterReport.JobId), Required = false, LoadStyle = ConcurrencyStyle.Exclusive)] TrainingJob? job,
        IOptions<GpuClusterOptions> options,
        TimeProvider clock)
    {
        if (job is null || !PollTrainingJobHandler.IsPolled(job.Status) || job.ExternalJobId != command.Status.ExternalJobId)
        {
            return ([], []);
        }

        var decision = ClusterReports.Decide(job, command.Status, clock.GetUtcNow(), pollNumber: null, ReportRules.From(options.Value));
        return ([.. decision.Events], [.. decision.Messages]);
    }
}
