using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Jobs;

namespace LoraPipeline.Training.Execution;

/// <summary>The three ways a job ends; each fixes the final cost from the GPU time used.</summary>
internal static class JobEndings
{
    public static TrainingJobCompleted Completed(TrainingJob job, DateTimeOffset at)
    {
        var usage = job.UsageUntil(at) ?? new GpuUsage(job.GpuConfig.GpuType, job.GpuConfig.NumGpus, job.HourlyRate, at, at);
        return new TrainingJobCompleted(job.Id, at, job.CostAt(at), usage);
    }

    public static TrainingJobFailed Failed(TrainingJob job, string reason, DateTimeOffset at) =>
        new(job.Id, reason, at, job.CostAt(at), job.UsageUntil(at));

    public static TrainingJobCancelled Cancelled(TrainingJob job, string reason, JobCancelCause cause, DateTimeOffset at) =>
        new(job.Id, reason, at, job.CostAt(at), job.UsageUntil(at), cause);
}
