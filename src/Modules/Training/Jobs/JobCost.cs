using LoraPipeline.Platform;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Training.Jobs;

/// <summary>
/// What a job has cost by an instant (README, "Cost"):
/// <list type="bullet">
/// <item>from a cluster that reports its own accounting: each attempt's GPU-seconds × the price per GPU-hour / 3600,
/// rounded to cents per attempt, summed; the attempt still running adds the GPU time since that report by the
/// clock (seconds × GPUs), so the cost grows between reports and each report corrects it. Paused and recovering
/// jobs add nothing;</item>
/// <item>from a cluster that reports none: the hourly rate × the hours since the start, rounded to cents.</item>
/// </list>
/// Pure: the same job and instant give the same cost and usage.
/// </summary>
public static class JobCost
{
    public sealed record Reckoning(decimal Total, GpuUsage? Usage);

    /// <param name="reported">The cluster's accounting to reckon with, when newer than the job's (a report being decided on).</param>
    public static Reckoning At(TrainingJob job, DateTimeOffset now, ReportedUsage? reported = null)
    {
        if (job.StartedAt is not { } started)
        {
            return new Reckoning(0m, null);
        }

        var gpu = job.GpuConfig;
        var end = now < started ? started : now;
        reported ??= job.ReportedUsage;
        if (reported is null)
        {
            var cost = Money.Cents(job.HourlyRate * (decimal)(end - started).TotalSeconds / 3600m);
            return new Reckoning(cost, new GpuUsage(gpu.GpuType, gpu.NumGpus, job.HourlyRate, started, end));
        }

        var sinceReport = job.IsUsingGpus && now > reported.At ? (decimal)(now - reported.At).TotalSeconds * gpu.NumGpus : 0m;
        var attempts = reported.Attempts.Select(a =>
        {
            var seconds = a.GpuSeconds + (a.EndedAt is null ? sinceReport : 0m);
            return new AttemptUsage(a.Attempt, a.StartedAt, a.EndedAt, seconds, Money.Cents(gpu.CostPerGpuHour * seconds / 3600m), a.Outcome, a.FromStep);
        }).ToList();
        var gpuSeconds = attempts.Count > 0 ? attempts.Sum(a => a.GpuSeconds) : reported.GpuSeconds + sinceReport;
        var total = attempts.Count > 0 ? attempts.Sum(a => a.Cost) : Money.Cents(gpu.CostPerGpuHour * gpuSeconds / 3600m);
        return new Reckoning(total, new GpuUsage(gpu.GpuType, gpu.NumGpus, job.HourlyRate, started, end, gpuSeconds, attempts));
    }
}
