using LoraPipeline.Training.Jobs;
using Wolverine.Marten;

namespace LoraPipeline.Training.Execution;

/// <summary>
/// A pushed report appends the same events a poll would (deduplicated by step); it does not take
/// a poll number, so the chain of polls goes on untouched until the job ends. The stream is locked
/// while deciding, so a push and a poll of the same step record it once.
/// </summary>
public static class ApplyClusterReportHandler
{
    public static Events Handle(
        ApplyClusterReport command,
        [WriteAggregate(nameof(ApplyClusterReport.JobId), Required = false, LoadStyle = ConcurrencyStyle.Exclusive)] TrainingJob? job,
        TimeProvider clock) =>
        job is { Status: JobStatus.Running } && job.ExternalJobId == command.Status.ExternalJobId
            ? [.. ClusterReports.Decide(job, command.Status, clock.GetUtcNow(), pollNumber: null)]
            : [];
}
