using JasperFx.Events;
using LoraPipeline.Training.Contracts;
using Marten.Events.Aggregation;

namespace LoraPipeline.Training.Jobs;

/// <summary>Builds <see cref="TrainingJob"/> from the job's stream, in the same transaction as its events.</summary>
public sealed partial class TrainingJobProjection : SingleStreamProjection<TrainingJob, Guid>
{
    public TrainingJob Create(TrainingJobQueued e, IEvent meta) => FromQueued(e, meta.Timestamp);

    public static TrainingJob FromQueued(TrainingJobQueued e, DateTimeOffset recordedAt) => new()
    {
        Id = e.JobId,
        UserId = e.UserId,
        DatasetId = e.DatasetId,
        DatasetName = e.DatasetName,
        DatasetFormat = e.DatasetFormat,
        DatasetTrainingPairs = e.DatasetTrainingPairs,
        DatasetTotalTokens = e.DatasetTotalTokens,
        PresetId = e.PresetId,
        Hyperparameters = e.Hyperparameters,
        GpuConfig = e.GpuConfig,
        Status = JobStatus.Queued,
        CurrentStage = "queued",
        TotalEpochs = e.Hyperparameters.NumEpochs,
        TotalSteps = e.TotalSteps,
        QueuedAt = e.QueuedAt,
        EstimatedTotalCost = e.EstimatedTotalCost,
        EstimatedDurationHours = e.EstimatedDurationHours,
        HourlyRate = e.GpuConfig.HourlyRate,
        IdempotencyKey = e.IdempotencyKey,
        Extras = e.Extras ?? JobExtras.None,
        RequestFingerprint = e.RequestFingerprint,
        CreatedAt = e.QueuedAt,
        UpdatedAt = recordedAt,
        Version = 1,
    };

    public void Apply(TrainingJobInitializing e, TrainingJob job)
    {
        job.Status = JobStatus.Initializing;
        job.CurrentStage = "initializing";
        job.UpdatedAt = e.At;
    }

    public void Apply(TrainingJobSubmissionFailed e, TrainingJob job)
    {
        job.RetryCount = e.Attempt;
        job.ErrorMessage = e.RetryAt is null ? e.Error : $"Attempt {e.Attempt} failed ({e.Error}); retrying at {e.RetryAt:u}";
        job.UpdatedAt = e.At;
    }

    public void Apply(TrainingJobSubmitted e, TrainingJob job)
    {
        job.ExternalJobId = e.ExternalJobId;
        job.ErrorMessage = null;
        job.UpdatedAt = e.At;
    }

    public void Apply(TrainingJobStarted e, TrainingJob job)
    {
        job.Status = JobStatus.Running;
        job.CurrentStage = "training";
        job.StartedAt = e.StartedAt;
        job.EstimatedCompletionAt = e.EstimatedCompletionAt;
        job.HourlyRate = e.HourlyRate;
        job.LastPolledAt = e.StartedAt; // the first poll is scheduled now
        job.LastStatusReadAt = e.StartedAt;
        job.UpdatedAt = e.StartedAt;
    }

    public void Apply(TrainingProgressRecorded e, TrainingJob job)
    {
        job.CurrentStage = e.Stage;
        job.Progress = Math.Max(job.Progress, e.Progress);
        job.CurrentEpoch = Math.Max(job.CurrentEpoch, e.CurrentEpoch);
        job.CurrentStep = Math.Max(job.CurrentStep, e.CurrentStep);
        job.AttemptStep = Math.Max(job.AttemptStep, e.CurrentStep);
        job.CurrentCost = Math.Max(job.CurrentCost, e.CurrentCost);
        job.ConsecutiveStatusFailures = 0;
        job.LastStatusReadAt = e.At;
        if (e.Usage is { } usage)
        {
            job.ReportedUsage = usage;
            job.Attempt = Math.Max(job.Attempt, usage.Attempt);
            job.RecoveryCount = Math.Max(job.RecoveryCount, usage.RecoveryCount);
        }

        if (e.PollNumber is { } poll)
        {
            job.LastPollNumber = poll;
            job.LastPolledAt = e.At;
        }

        job.UpdatedAt = e.At;
    }

    public void Apply(TrainingMetricsRecorded e, TrainingJob job)
    {
        if (e.Points.Count == 0)
        {
            return;
        }

        var last = e.Points[^1];
        var validation = e.Points.LastOrDefault(p => p.ValidationLoss is not null)?.ValidationLoss ?? job.CurrentMetrics?.ValidationLoss;
        job.CurrentMetrics = new CurrentMetrics(last.TrainingLoss, validation, last.LearningRate, last.Throughput, last.GpuUtilization, last.GradientNorm);
        job.LastMetricStep = Math.Max(job.LastMetricStep, e.Points.Max(p => p.Step));
        job.LastMetricValidated = e.Points.Last(p => p.Step == job.LastMetricStep).ValidationLoss is not null;
    }

    public void Apply(TrainingCheckpointRecorded e, TrainingJob job)
    {
        if (job.Checkpoints.All(c => c.Step != e.Step))
        {
            job.Checkpoints.Add(new JobCheckpoint(e.Step, e.Epoch, e.CreatedAt, e.TrainingLoss, e.ValidationLoss, e.Attempt, e.Files));
            job.Checkpoints.Sort((a, b) => a.Step.CompareTo(b.Step));
        }
    }

    public void Apply(TrainingJobPaused e, TrainingJob job)
    {
        job.Status = JobStatus.Paused;
        job.CurrentStage = "paused";
        job.CurrentCost = Math.Max(job.CurrentCost, e.CostSoFar);
        job.UpdatedAt = e.At;
    }

    public void Apply(TrainingJobResumeRequested e, TrainingJob job)
    {
        job.Status = JobStatus.Running;
        job.CurrentStage = "resuming";
        job.UpdatedAt = e.At;
    }

    public void Apply(TrainingJobPreempted e, TrainingJob job)
    {
        job.Status = JobStatus.Recovering;
        job.CurrentStage = "recovering";
        job.RecoveryCount = Math.Max(job.RecoveryCount, e.RecoveryCount);
        job.UpdatedAt = e.At;
    }

    public void Apply(TrainingJobResumed e, TrainingJob job)
    {
        job.Status = JobStatus.Running;
        job.AttemptStep = e.Attempt > job.Attempt ? e.FromStep : job.AttemptStep;
        job.Attempt = Math.Max(job.Attempt, e.Attempt);
        job.UpdatedAt = e.At;
    }

    public void Apply(ClusterCancelRequested e, TrainingJob job)
    {
        job.ClusterCancelPendingSince ??= e.At;
        job.ClusterCancelTarget = e.ExternalJobId;
        job.ClusterCancelConfirmed = false;
    }

    public void Apply(ClusterCancelConfirmed e, TrainingJob job)
    {
        job.ClusterCancelPendingSince = null;
        job.ClusterCancelConfirmed = true;
    }

    public void Apply(ClusterStatusCheckFailed e, TrainingJob job)
    {
        job.LastPollNumber = e.PollNumber;
        job.LastPolledAt = e.At;
        job.ConsecutiveStatusFailures = e.ConsecutiveFailures;
        job.UpdatedAt = e.At;
    }

    public void Apply(TrainingJobCompleted e, TrainingJob job)
    {
        job.Status = JobStatus.Completed;
        job.CurrentStage = "completed";
        job.Progress = 100m;
        job.CurrentStep = job.TotalSteps;
        job.CurrentEpoch = job.TotalEpochs;
        End(job, e.CompletedAt, e.FinalCost, e.Usage);
    }

    public void Apply(TrainingJobFailed e, TrainingJob job)
    {
        job.Status = JobStatus.Failed;
        job.CurrentStage = "failed";
        job.ErrorMessage = e.Reason;
        End(job, e.FailedAt, e.FinalCost, e.Usage);
    }

    public void Apply(TrainingJobCancelled e, TrainingJob job)
    {
        job.Status = JobStatus.Cancelled;
        job.CurrentStage = "cancelled";
        job.ErrorMessage = e.Reason;
        End(job, e.CancelledAt, e.FinalCost, e.Usage);
    }

    public void Apply(ArtifactLinked e, TrainingJob job)
    {
        job.ArtifactId = e.ArtifactId;
        job.UpdatedAt = e.At;
    }

    private static void End(TrainingJob job, DateTimeOffset at, decimal finalCost, GpuUsage? usage)
    {
        job.FinalUsage = usage;
        if (usage?.Attempts is { Count: > 0 } attempts)
        {
            job.Attempt = Math.Max(job.Attempt, attempts.Max(a => a.Attempt));
        }

        job.CompletedAt = at;
        job.FinalCost = finalCost;
        job.CurrentCost = finalCost;
        job.UpdatedAt = at;
    }
}
