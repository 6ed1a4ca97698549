using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;

namespace LoraPipeline.Training.Execution;

/// <summary>What a submission attempt's answer means for the job.</summary>
internal static class SubmissionDecisions
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(5);

    /// <summary>Attempt n runs only while the job waits for submission and n-1 attempts failed before it.</summary>
    public static bool ShouldAttempt(TrainingJob? job, int attempt) =>
        job is { Status: JobStatus.Queued or JobStatus.Initializing, ExternalJobId: null } && job.RetryCount == attempt - 1;

    public static (List<object> Events, DateTimeOffset? RetryAt) Decide(
        TrainingJob job, int attempt, ClusterCall<ClusterSubmitResponse> result, DateTimeOffset now,
        int maxAttempts, TimeSpan firstDelay, double jitter)
    {
        switch (result)
        {
            case ClusterCall<ClusterSubmitResponse>.Answered answered:
                var estimated = now + TimeSpan.FromHours((double)job.EstimatedDurationHours);
                return ([
                    new TrainingJobSubmitted(job.Id, answered.Value.ExternalJobId, now),
                    new TrainingJobStarted(job.Id, now, estimated, job.GpuConfig.HourlyRate, job.GpuConfig.GpuType, job.GpuConfig.NumGpus),
                ], null);

            case ClusterCall<ClusterSubmitResponse>.Refused refused:
                return ([JobEndings.Failed(job, $"The GPU cluster refused the job ({refused.Reason}).", now)], null);

            default:
                var reason = result is ClusterCall<ClusterSubmitResponse>.Transient t ? t.Reason : "the submission endpoint was not found";
                if (attempt >= maxAttempts)
                {
                    return ([
                        new TrainingJobSubmissionFailed(job.Id, attempt, reason, null, now),
                        JobEndings.Failed(job, $"Could not submit the job to the GPU cluster after {attempt} attempts (last: {reason}).", now),
                    ], null);
                }

                var retryAt = now + RetryDelay(attempt, firstDelay, jitter);
                return ([new TrainingJobSubmissionFailed(job.Id, attempt, reason, retryAt, now)], retryAt);
        }
    }

    /// <summary>Exponential back-off, first delay doubled each attempt, times a jitter in [0.5, 1.5), capped at 5 minutes.</summary>
    public static TimeSpan RetryDelay(int attempt, TimeSpan firstDelay, double jitter)
    {
        var delay = firstDelay.TotalMilliseconds * Math.Pow(2, attempt - 1) * (0.5 + jitter);
        return TimeSpan.FromMilliseconds(Math.Min(delay, MaxRetryDelay.TotalMilliseconds));
    }
}
