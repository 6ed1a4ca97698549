using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.Jobs;
using Marten;

namespace LoraPipeline.Training.Contracts;

/// <summary>Answers <see cref="ITrainingJobs"/> from the job view, in the user's own tenant.</summary>
internal sealed class TrainingJobQueries(IDocumentStore store, TimeProvider clock) : ITrainingJobs
{
    public async Task<CompletedJobReport?> FindCompletedAsync(Guid userId, Guid jobId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var job = await session.LoadAsync<TrainingJob>(jobId, ct);
        if (job is not { Status: JobStatus.Completed, StartedAt: { } started, CompletedAt: { } completed, ExternalJobId: { } external })
        {
            return null;
        }

        var points = await session.Query<JobMetricPoint>().Where(p => p.JobId == jobId).OrderBy(p => p.Step).ToListAsync(ct);
        var metrics = points.Select(p => new MetricPoint(
            p.Step, p.Epoch, p.TrainingLoss, p.ValidationLoss, p.LearningRate, p.GradientNorm, p.Throughput, p.GpuUtilization, p.Timestamp)).ToList();
        return new CompletedJobReport(
            job.Id, job.DatasetId, job.DatasetName, job.PresetId, job.Hyperparameters, job.GpuConfig, external,
            job.CurrentEpoch, job.CurrentStep, started, completed, job.FinalCost ?? 0m, metrics);
    }

    public async Task<IReadOnlyList<AccruingJobCost>> AccruingCostsAsync(Guid userId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var running = await session.Query<TrainingJob>()
            .Where(j => j.StartedAt != null && (j.Status == JobStatus.Running || j.Status == JobStatus.Paused || j.Status == JobStatus.Recovering))
            .ToListAsync(ct);
        var now = clock.GetUtcNow();
        return running.Select(j => new AccruingJobCost(j.Id, j.CostAt(now), j.HourlyRate, j.StartedAt ?? now)).ToList();
    }

    public async Task<IReadOnlyList<Guid>> NotStartedAsync(Guid userId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        return await session.Query<TrainingJob>()
            .Where(j => j.StartedAt == null && (j.Status == JobStatus.Queued || j.Status == JobStatus.Initializing))
            .Select(j => j.Id)
            .ToListAsync(ct);
    }

    public async Task<IReadOnlyDictionary<Guid, object>> FindViewsAsync(Guid userId, IReadOnlyCollection<Guid> jobIds, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var jobs = await session.LoadManyAsync<TrainingJob>(ct, jobIds.Distinct());
        var now = clock.GetUtcNow();
        return jobs.ToDictionary(j => j.Id, j => (object)JobView.From(j, now));
    }

    public async Task<JobCheckpointReport?> FindCheckpointAsync(Guid userId, Guid jobId, int step, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var job = await session.LoadAsync<TrainingJob>(jobId, ct);
        return job is { ExternalJobId: { } external } && job.Checkpoints.FirstOrDefault(c => c.Step == step) is { } checkpoint
            ? new JobCheckpointReport(jobId, external, checkpoint.Step, checkpoint.Epoch, checkpoint.CreatedAt, checkpoint.Files)
            : null;
    }

    public async Task<IReadOnlyList<CompletedJobWithoutModel>> CompletedWithoutModelAsync(DateTimeOffset completedBefore, int limit, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var jobs = await session.Query<TrainingJob>()
            .Where(j => j.AnyTenant() && j.Status == JobStatus.Completed && j.ArtifactId == null && j.CompletedAt < completedBefore)
            .OrderByDescending(j => j.CompletedAt)
            .Take(limit)
            .ToListAsync(ct);
        return jobs.Select(j => new CompletedJobWithoutModel(j.Id, j.UserId, j.ExternalJobId!, j.CompletedAt!.Value)).ToList();
    }

    public async Task<decimal> RemainingEstimatesAsync(Guid userId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var unfinished = await session.Query<TrainingJob>().Where(TrainingJob.IsUnfinished).ToListAsync(ct);
        var now = clock.GetUtcNow();
        return unfinished.Sum(j => Math.Max(0m, j.EstimatedTotalCost - j.CostAt(now)));
    }
}

/// <summary>Datasets asks before deleting: a queued, initializing or running job uses its dataset and its validation dataset.</summary>
internal sealed class ActiveJobsUseDatasets(IDocumentStore store) : IDatasetUsage
{
    public async Task<bool> HasActiveJobsAsync(Guid userId, Guid datasetId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        return await session.Query<TrainingJob>().Where(TrainingJob.IsUnfinished).AnyAsync(j => j.DatasetId == datasetId || j.Extras.ValidationDatasetId == datasetId, ct);
    }
}

/// <summary>Until Billing registers a budget: every job is admitted.</summary>
internal sealed class AdmitEveryJob : IJobAdmission
{
    public Task<string?> RefuseAsync(Guid userId, decimal estimatedCost, CancellationToken ct) => Task.FromResult<string?>(null);

    public Task<decimal?> BudgetLeftAsync(Guid userId, CancellationToken ct) => Task.FromResult<decimal?>(null);
}

/// <summary>Until Billing registers its cost records: none.</summary>
internal sealed class NoCostRecords : IJobCostRecords
{
    public Task<IReadOnlyList<object>> ForJobAsync(Guid userId, Guid jobId, CancellationToken ct) => Task.FromResult<IReadOnlyList<object>>([]);
}
