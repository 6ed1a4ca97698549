using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.Configuration;
using LoraPipeline.Training.Execution;
using LoraPipeline.Training.History;
using LoraPipeline.Training.Jobs;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine;

namespace LoraPipeline.Training.Contracts;

/// <summary>
/// Answers <see cref="ITrainingJobCommands"/> with the native API's own rules (<see cref="JobOrders"/>, the cancel and
/// pause handlers), each change sent as a message for the user's tenant so it runs in the handler's own transaction.
/// </summary>
public sealed class TrainingJobCommands(
    IDocumentStore store, IMessageBus bus, IDatasetCatalog datasets, IJobAdmission admission,
    IOptions<GpuCatalogueOptions> catalogue, IOptions<TrainingOptions> training, TimeProvider clock) : ITrainingJobCommands
{
    public IReadOnlySet<string> BaseModels => training.Value.EffectiveBaseModels;

    public async Task<JobSnapshot> CreateAsync(Guid userId, JobOrderInput order, CancellationToken ct)
    {
        var body = new CreateJobRequest(
            order.DatasetId, order.PresetId, new GpuInput { GpuType = order.GpuType, NumGpus = order.NumGpus },
            new HyperparameterInput
            {
                BaseModel = order.BaseModel, LearningRate = order.LearningRate, BatchSize = order.BatchSize, NumEpochs = order.NumEpochs,
                LoraRank = order.LoraRank, LoraAlpha = order.LoraAlpha, LoraDropout = order.LoraDropout,
            },
            EstimatedCost: null, order.Extras.ValidationDatasetId, order.Extras.Suffix, order.Extras.Seed,
            order.Extras.Metadata is null ? null : new Dictionary<string, string>(order.Extras.Metadata), order.Extras.ValidationSplit);
        var resolved = await JobOrders.ResolveAsync(userId, body, datasets, catalogue.Value, training.Value, ct);
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var queued = await JobOrders.AdmitAsync(userId, Guid.NewGuid(), resolved, key: null, session, training.Value, admission, clock.GetUtcNow(), ct);
        await bus.InvokeForTenantAsync<QueuedJob>(Caller.TenantOf(userId), new QueueTrainingJob(queued, MayExist: false), ct);
        return Snapshot(TrainingJobProjection.FromQueued(queued, queued.QueuedAt));
    }

    public async Task<JobSnapshot?> FindAsync(Guid userId, Guid jobId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        return await session.LoadAsync<TrainingJob>(jobId, ct) is { } job ? Snapshot(job) : null;
    }

    public async Task<IReadOnlyList<JobSnapshot>> ListAsync(Guid userId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var jobs = await session.Query<TrainingJob>().OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id).ToListAsync(ct);
        return jobs.Select(Snapshot).ToList();
    }

    public async Task<JobSnapshot> CancelAsync(Guid userId, Guid jobId, CancellationToken ct)
    {
        var outcome = await bus.InvokeForTenantAsync<CancelOutcome>(Caller.TenantOf(userId), new CancelTrainingJob(jobId, "Cancelled by the user."), ct);
        if (!outcome.Found)
        {
            throw ApiProblems.NotFound("Job");
        }

        return outcome.Cancelled
            ? await RequireAsync(userId, jobId, ct)
            : throw ApiProblems.Conflict("Job cannot be cancelled", $"Only a job that has not ended can be cancelled; this job is '{outcome.Status}'.");
    }

    public Task<JobSnapshot> PauseAsync(Guid userId, Guid jobId, CancellationToken ct) => ChangeAsync(userId, jobId, resume: false, ct);

    public Task<JobSnapshot> ResumeAsync(Guid userId, Guid jobId, CancellationToken ct) => ChangeAsync(userId, jobId, resume: true, ct);

    public async Task<IReadOnlyList<JobTimelineEntry>?> TimelineAsync(Guid userId, Guid jobId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var events = await session.Events.FetchStreamAsync(jobId, token: ct);
        if (events.Count == 0 || events[0].Data is not TrainingJobQueued)
        {
            return null;
        }

        var entries = JobTimeline.Describe(events.Select(e => new StreamEntry(e.Version, e.Timestamp, e.Data)).ToList());
        // a step reported again (with its validation loss, after a resume) replaces its earlier point, as in the metrics
        var lastOfStep = entries.Select((entry, index) => (entry, index)).Where(x => x.entry.Metrics is not null)
            .GroupBy(x => x.entry.Metrics!.Step).ToDictionary(g => g.Key, g => g.Max(x => x.index));
        return entries.Where((entry, index) => entry.Metrics is null || lastOfStep[entry.Metrics.Step] == index).ToList();
    }

    public async Task<IReadOnlyList<JobCheckpointSummary>?> CheckpointsAsync(Guid userId, Guid jobId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var job = await session.LoadAsync<TrainingJob>(jobId, ct);
        return job?.Checkpoints.Select(c => new JobCheckpointSummary(c.Step, c.Epoch, c.CreatedAt, c.TrainingLoss, c.ValidationLoss)).ToList();
    }

    private async Task<JobSnapshot> ChangeAsync(Guid userId, Guid jobId, bool resume, CancellationToken ct)
    {
        var outcome = await bus.InvokeForTenantAsync<LifecycleOutcome>(Caller.TenantOf(userId), new PauseOrResumeJob(jobId, resume), ct);
        if (!outcome.Found)
        {
            throw ApiProblems.NotFound("Job");
        }

        return outcome.Refusal is { } refusal
            ? throw ApiProblems.Conflict(resume ? "Job cannot be resumed" : "Job cannot be paused", refusal)
            : await RequireAsync(userId, jobId, ct);
    }

    private async Task<JobSnapshot> RequireAsync(Guid userId, Guid jobId, CancellationToken ct) =>
        await FindAsync(userId, jobId, ct) ?? throw ApiProblems.NotFound("Job");

    private JobSnapshot Snapshot(TrainingJob job)
    {
        var view = JobView.From(job, clock.GetUtcNow());
        return new JobSnapshot(
            job.Id, job.DatasetId, JobStatuses.Name(job.Status), job.CurrentStage, job.PresetId, job.Hyperparameters, job.GpuConfig,
            job.CurrentStep, job.TotalSteps, job.DatasetTotalTokens, job.CreatedAt, job.StartedAt, job.CompletedAt, job.EstimatedCompletionAt,
            view.CurrentCost, job.EstimatedTotalCost, job.FinalCost, job.ErrorMessage, job.ArtifactId, job.Extras);
    }
}
