using LoraPipeline.Artifacts.Contracts;
using LoraPipeline.Billing.Contracts;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Webhooks.Dispatch;

/// <summary>What a published event of another module is to a webhook: its type, the resource it is about.</summary>
public sealed record WebhookEvent(string Type, string Subject, ResourceKind Kind, Guid ResourceId, object? Data = null);

public enum ResourceKind
{
    Job,
    Model,
    Dataset,
    Budget,
    Test,
}

/// <summary>
/// The event catalogue (issue 19): which published events are sent, under which type. Deliveries of one
/// <see cref="WebhookEvent.Subject"/> (a job, a dataset, a model, the budget) reach an endpoint in order.
/// </summary>
public static class WebhookEventTypes
{
    public const string Test = "webhook.test";

    public static readonly string[] All =
    [
        "job.queued", "job.running", "job.succeeded", "job.failed", "job.cancelled", "job.paused", "job.recovering",
        "model.ready", "dataset.ready", "dataset.failed", "budget.warning", "budget.exceeded",
    ];

    /// <summary>The published event types the dispatch subscribes to.</summary>
    public static readonly Type[] Published =
    [
        typeof(TrainingJobQueued), typeof(TrainingJobStarted), typeof(TrainingJobResumed), typeof(TrainingJobCompleted),
        typeof(TrainingJobFailed), typeof(TrainingJobCancelled), typeof(TrainingJobPaused), typeof(TrainingJobPreempted),
        typeof(ArtifactReady), typeof(DatasetReady), typeof(DatasetFailed), typeof(BudgetThresholdReached),
    ];

    public static WebhookEvent? For(object data) => data switch
    {
        TrainingJobQueued e => Job("job.queued", e.JobId),
        TrainingJobStarted e => Job("job.running", e.JobId),
        // a paused or recovered job running again is "running" again
        TrainingJobResumed e => Job("job.running", e.JobId),
        TrainingJobCompleted e => Job("job.succeeded", e.JobId),
        TrainingJobFailed e => Job("job.failed", e.JobId),
        TrainingJobCancelled e => Job("job.cancelled", e.JobId),
        TrainingJobPaused e => Job("job.paused", e.JobId),
        TrainingJobPreempted e => Job("job.recovering", e.JobId),
        ArtifactReady e => new("model.ready", $"model:{e.ArtifactId}", ResourceKind.Model, e.ArtifactId),
        DatasetReady e => new("dataset.ready", $"dataset:{e.DatasetId}", ResourceKind.Dataset, e.DatasetId),
        DatasetFailed e => new("dataset.failed", $"dataset:{e.DatasetId}", ResourceKind.Dataset, e.DatasetId),
        BudgetThresholdReached e => new(e.Percent >= 100 ? "budget.exceeded" : "budget.warning", "budget", ResourceKind.Budget, e.UserId,
            new { month = e.Month, percent = e.Percent, used = e.Used, monthly_limit = e.MonthlyLimit, hard_limit = e.HardLimit }),
        _ => null,
    };

    private static WebhookEvent Job(string type, Guid jobId) => new(type, $"job:{jobId}", ResourceKind.Job, jobId);
}
