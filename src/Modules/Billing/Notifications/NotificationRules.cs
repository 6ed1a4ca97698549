using System.Globalization;
using LoraPipeline.Artifacts.Contracts;
using LoraPipeline.Billing.Budgets;
using LoraPipeline.Billing.Contracts;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Billing.Notifications;

/// <summary>
/// Which events notify, with E03/E04/E05/E06's titles, messages, priorities and action URLs (the
/// dashboard's routes). Pure: the inbox projection applies it to every module's events. A notification names
/// what it is about in its title ("Training Complete: Support chats"): the dataset, the model by its name, and a
/// job by <paramref name="jobName"/> (its dataset's name, read by the projection from the job's first event);
/// without a job name the words stay E03's.
/// </summary>
public static class NotificationRules
{
    public static Notification? For(Guid eventId, object data, DateTimeOffset at, string? jobName = null) => data switch
    {
        DatasetReady e => Make(eventId, at, "dataset_ready", Titled("Dataset Ready", e.Name), "medium", $"/datasets/{e.DatasetId}",
            $"Your dataset \"{e.Name}\" has been validated and is ready for training.",
            new() { ["dataset_id"] = e.DatasetId, ["dataset_name"] = e.Name }),

        TrainingJobQueued e => Make(eventId, at, "job_queued", Titled("Training Job Queued", e.DatasetName), "low", JobUrl(e.JobId),
            $"Your training job for \"{e.DatasetName}\" has been queued and will start shortly.",
            new() { ["job_id"] = e.JobId, ["dataset_name"] = e.DatasetName }),

        TrainingJobStarted e => Make(eventId, at, "job_started", Titled("Training Started", jobName), "medium", JobUrl(e.JobId),
            $"Your training job{On(jobName)} has started on {e.NumGpus}x {e.GpuType}.",
            new() { ["job_id"] = e.JobId }),

        TrainingJobCompleted e => Make(eventId, at, "job_completed", Titled("Training Complete", jobName), "high", JobUrl(e.JobId),
            $"Your training job{On(jobName)} finished successfully. Cost: {Dollars(e.FinalCost)}",
            new() { ["job_id"] = e.JobId, ["final_cost"] = e.FinalCost }),

        TrainingJobFailed e => Make(eventId, at, "job_failed", Titled("Training Failed", jobName), "high", JobUrl(e.JobId),
            $"Your training job{On(jobName)} failed: {e.Reason}",
            new() { ["job_id"] = e.JobId, ["error"] = e.Reason, ["final_cost"] = e.FinalCost }),

        TrainingJobCancelled e => Make(eventId, at, "job_cancelled", Titled("Job Cancelled", jobName), "medium", JobUrl(e.JobId),
            // events recorded before the cause was a field carry only the hard limit's own reason text
            e.Cause == JobCancelCause.BudgetHardLimit || e.Reason == CheckBudgetHandler.HardLimitReason
                ? $"Your training job{On(jobName)} was cancelled because the monthly budget's hard limit was reached. Cost: {Dollars(e.FinalCost)}"
                : $"Your training job{On(jobName)} was cancelled. Cost: {Dollars(e.FinalCost)}",
            new() { ["job_id"] = e.JobId, ["reason"] = e.Reason, ["final_cost"] = e.FinalCost }),

        TrainingJobPaused e => Make(eventId, at, "job_paused", Titled("Training Paused", jobName), "medium", JobUrl(e.JobId),
            $"Your training job{On(jobName)} was paused at step {e.Step} ({e.Reason.TrimEnd('.')}); it costs nothing until you resume it. Cost so far: {Dollars(e.CostSoFar)}",
            new() { ["job_id"] = e.JobId, ["step"] = e.Step, ["attempt"] = e.Attempt, ["cost_so_far"] = e.CostSoFar }),

        TrainingJobPreempted e => Make(eventId, at, "job_recovering", Titled("Training Interrupted", jobName), "high", JobUrl(e.JobId),
            $"The GPU cluster stopped your training job{On(jobName)} ({e.Reason}). It restarts from "
            + (e.CheckpointStep is { } step ? $"its checkpoint at step {step}" : "the beginning (no checkpoint yet)") + $" (recovery {e.RecoveryCount}).",
            new() { ["job_id"] = e.JobId, ["attempt"] = e.Attempt, ["recovery_count"] = e.RecoveryCount, ["checkpoint_step"] = e.CheckpointStep }),

        TrainingJobResumed e => Make(eventId, at, "job_resumed", Titled("Training Resumed", jobName), "low", JobUrl(e.JobId),
            $"Your training job{On(jobName)} runs again from step {e.FromStep} (attempt {e.Attempt}).",
            new() { ["job_id"] = e.JobId, ["attempt"] = e.Attempt, ["from_step"] = e.FromStep, ["after_preemption"] = e.AfterPreemption }),

        ArtifactReady e => Make(eventId, at, "artifact_ready", Titled("Model Ready for Download", e.Name), "high", $"/models/{e.ArtifactId}",
            e.Flagged
                ? $"Your trained model is stored, but some of its files were flagged: check them before use. Quality score: {e.OverallScore}/5 stars"
                : $"Your trained model is ready. Quality score: {e.OverallScore}/5 stars",
            new() { ["artifact_id"] = e.ArtifactId, ["job_id"] = e.JobId, ["overall_score"] = e.OverallScore }),

        ModelCollectionFailed e => Make(eventId, at, "artifact_failed", Titled("Model Files Not Collected", e.Name), "high", $"/models/{e.ArtifactId}",
            $"Your training finished, but its files could not be fetched from the GPU cluster after {e.Attempts} attempts. "
            + "Retry from the model's page; the files stored so far are kept.",
            new() { ["artifact_id"] = e.ArtifactId, ["job_id"] = e.JobId, ["error"] = e.Reason }),

        BudgetThresholdReached { Percent: >= 100 } e => Make(eventId, at, "budget_exceeded", "Budget Exceeded", "high", "/costs",
            $"You have used {Dollars(e.Used)} of your {Dollars(e.MonthlyLimit)} monthly budget for {e.Month}."
            + (e.HardLimit ? " New jobs are refused and running jobs are stopped." : ""),
            new() { ["month"] = e.Month, ["percent"] = e.Percent, ["used"] = e.Used, ["monthly_limit"] = e.MonthlyLimit }),

        BudgetThresholdReached e => Make(eventId, at, "budget_warning", $"Budget {e.Percent}% Used", "medium", "/costs",
            $"You have used {Dollars(e.Used)} of your {Dollars(e.MonthlyLimit)} monthly budget for {e.Month} ({e.Percent}%).",
            new() { ["month"] = e.Month, ["percent"] = e.Percent, ["used"] = e.Used, ["monthly_limit"] = e.MonthlyLimit }),

        IUserNotification n => Make(eventId, at, n.NotificationType, n.Title, n.Priority, n.ActionUrl ?? "/", n.Message, []),

        _ => null,
    };

    /// <summary>"Training Complete: Support chats", or the bare title when the name is not known.</summary>
    private static string Titled(string title, string? name) => string.IsNullOrWhiteSpace(name) ? title : $"{title}: {name}";

    private static string On(string? jobName) => string.IsNullOrWhiteSpace(jobName) ? "" : $" on \"{jobName}\"";

    private static string JobUrl(Guid jobId) => $"/training/jobs/{jobId}";

    private static string Dollars(decimal amount) => "$" + amount.ToString("0.00", CultureInfo.InvariantCulture);

    private static Notification Make(
        Guid id, DateTimeOffset at, string type, string title, string priority, string url, string message, Dictionary<string, object?> metadata) => new()
    {
        Id = id,
        Type = type,
        Title = title,
        Message = message,
        Priority = priority,
        ActionUrl = url,
        Metadata = metadata,
        CreatedAt = at,
    };
}
