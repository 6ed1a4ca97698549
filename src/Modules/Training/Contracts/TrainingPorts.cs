namespace LoraPipeline.Training.Contracts;

/// <summary>
/// Asked before a job is queued: may this user start a job of this estimated cost? Billing
/// implements it with the budget's hard limit; without an implementation every job is admitted.
/// </summary>
public interface IJobAdmission
{
    /// <summary>Null to admit, or why not in words the user can act on.</summary>
    Task<string?> RefuseAsync(Guid userId, decimal estimatedCost, CancellationToken ct);

    /// <summary>
    /// What a hard budget leaves this month for new jobs (the limit less what was used and what unfinished jobs
    /// still expect to cost), or null when no hard limit applies. Shown by the estimate.
    /// </summary>
    Task<decimal?> BudgetLeftAsync(Guid userId, CancellationToken ct) => Task.FromResult<decimal?>(null);
}

/// <summary>A job's cost records, shown by GET /api/jobs/{id}. Billing implements it.</summary>
public interface IJobCostRecords
{
    Task<IReadOnlyList<object>> ForJobAsync(Guid userId, Guid jobId, CancellationToken ct);
}

/// <summary>What other modules may ask about jobs.</summary>
public interface ITrainingJobs
{
    /// <summary>A finished job with its configuration and metric history (for the model's scores), or null.</summary>
    Task<CompletedJobReport?> FindCompletedAsync(Guid userId, Guid jobId, CancellationToken ct);

    /// <summary>
    /// The user's jobs as <c>GET /api/jobs/{id}</c> shows them, by id, in one read (payloads that carry the API's
    /// shapes are built for many events at once); ids of no job of the user are left out.
    /// </summary>
    Task<IReadOnlyDictionary<Guid, object>> FindViewsAsync(Guid userId, IReadOnlyCollection<Guid> jobIds, CancellationToken ct);

    /// <summary>A checkpoint of one of the user's jobs with the job's cluster id, or null (no such job or checkpoint).</summary>
    Task<JobCheckpointReport?> FindCheckpointAsync(Guid userId, Guid jobId, int step, CancellationToken ct);

    /// <summary>The cost of the user's started jobs that have not ended (running, paused, recovering) right now.</summary>
    Task<IReadOnlyList<AccruingJobCost>> AccruingCostsAsync(Guid userId, CancellationToken ct);

    /// <summary>The user's jobs that have not started yet (queued or initializing, on our side or in the cluster's queue).</summary>
    Task<IReadOnlyList<Guid>> NotStartedAsync(Guid userId, CancellationToken ct);

    /// <summary>
    /// What the user's unfinished jobs (queued, initializing, running) are still expected to cost: each
    /// one's estimate less what it has accrued, never below zero.
    /// </summary>
    Task<decimal> RemainingEstimatesAsync(Guid userId, CancellationToken ct);

    /// <summary>
    /// Every user's jobs that completed before <paramref name="completedBefore"/> and have no model linked
    /// yet, newest first, at most <paramref name="limit"/>: what the collection watch looks at.
    /// </summary>
    Task<IReadOnlyList<CompletedJobWithoutModel>> CompletedWithoutModelAsync(DateTimeOffset completedBefore, int limit, CancellationToken ct);
}

public sealed record CompletedJobWithoutModel(Guid JobId, Guid UserId, string ExternalJobId, DateTimeOffset CompletedAt);

public sealed record CompletedJobReport(
    Guid JobId,
    Guid DatasetId,
    string DatasetName,
    string PresetId,
    Hyperparameters Hyperparameters,
    GpuConfig GpuConfig,
    string ExternalJobId,
    int EpochsCompleted,
    int StepsCompleted,
    DateTimeOffset StartedAt,
    DateTimeOffset CompletedAt,
    decimal FinalCost,
    IReadOnlyList<MetricPoint> Metrics);

public sealed record JobCheckpointReport(Guid JobId, string ExternalJobId, int Step, int Epoch, DateTimeOffset CreatedAt, IReadOnlyList<string> Files);

public sealed record AccruingJobCost(Guid JobId, decimal CurrentCost, decimal HourlyRate, DateTimeOffset StartedAt);

/// <summary>Cancel a job (sent by Billing when a hard budget limit is reached); answered with <see cref="CancelOutcome"/>.</summary>
public sealed record CancelTrainingJob(Guid JobId, string Reason, JobCancelCause Cause = JobCancelCause.User);

public sealed record CancelOutcome(bool Found, bool Cancelled, string Status);

/// <summary>Pause a running job (sent by Billing when the hard budget limit pauses rather than cancels).</summary>
public sealed record PauseTrainingJob(Guid JobId, string Reason);

/// <summary>Record that a job's adapter became model <paramref name="ArtifactId"/> (sent by Artifacts).</summary>
public sealed record LinkArtifact(Guid JobId, Guid ArtifactId);
