using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Jobs;

namespace LoraPipeline.Training.Execution;

/// <summary>
/// The three ways a job ends; each fixes the final cost from the GPU time used (<see cref="JobCost"/>), with the
/// cluster's accounting of the report that ended it when there is one.
/// </summary>
internal static class JobEndings
{
    public static TrainingJobCompleted Completed(TrainingJob job, DateTimeOffset at, ReportedUsage? usage = null)
    {
        var cost = JobCost.At(job, at, usage);
        return new TrainingJobCompleted(job.Id, at, cost.Total,
            cost.Usage ?? new GpuUsage(job.GpuConfig.GpuType, job.GpuConfig.NumGpus, job.HourlyRate, at, at));
    }

    public static TrainingJobFailed Failed(TrainingJob job, string reason, DateTimeOffset at, ReportedUsage? usage = null)
    {
        var cost = JobCost.At(job, at, usage);
        return new TrainingJobFailed(job.Id, reason, at, cost.Total, cost.Usage);
    }

    public static TrainingJobCancelled Cancelled(TrainingJob job, string reason, JobCancelCause cause, DateTimeOffset at)
    {
        var cost = JobCost.At(job, at);
        return new TrainingJobCancelled(job.Id, reason, at, cost.Total, cost.Usage, cause);
    }
}
