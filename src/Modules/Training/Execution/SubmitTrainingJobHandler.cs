using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Platform.Storage;
using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.GpuCluster;
using LoraPipeline.Training.Jobs;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine;

namespace LoraPipeline.Training.Execution;

/// <summary>
/// Queued → initializing → submitted → running. The job moves to initializing in its own commit
/// (so it shows), then the cluster gets the job with a 24-hour signed link to the dataset and the
/// job id as idempotency key: if we die between the cluster's answer and our commit, the retried
/// submission returns the same cluster job instead of a second one.
/// </summary>
public static class SubmitTrainingJobHandler
{
    public static readonly TimeSpan DatasetLinkLifetime = TimeSpan.FromHours(24);

    public static async Task Handle(
        SubmitTrainingJob command, IDocumentSession session, IMessageBus bus, GpuClusterClient cluster, IDatasetCatalog datasets,
        FileLinkSigner links, ClusterCallbackUrls callbacks, IOptions<GpuClusterOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<TrainingJob>(command.JobId, ct);
        if (!SubmissionDecisions.ShouldAttempt(stream.Aggregate, command.Attempt))
        {
            return; // already submitted, ended, or a stale redelivery
        }

        if (stream.Aggregate!.Status == JobStatus.Queued)
        {
            stream.AppendOne(new TrainingJobInitializing(command.JobId, clock.GetUtcNow()));
            await session.SaveChangesAsync(ct);
            stream = await session.Events.FetchForWriting<TrainingJob>(command.JobId, ct);
        }

        var job = stream.Aggregate!;
        var dataset = await datasets.FindAsync(job.UserId, job.DatasetId, ct);
        if (dataset is null)
        {
            stream.AppendOne(JobEndings.Failed(job, "The job's dataset no longer exists.", clock.GetUtcNow()));
            return;
        }

        var request = new ClusterSubmitRequest(
            job.Id, links.Sign(dataset.File, DatasetLinkLifetime).Url, job.Hyperparameters, job.GpuConfig, callbacks.For(job));
        var result = await cluster.SubmitAsync(request, ct);

        var settings = options.Value;
        var (events, retryAt) = SubmissionDecisions.Decide(
            job, command.Attempt, result, clock.GetUtcNow(), settings.MaxSubmitAttempts, settings.SubmitRetryDelay, Random.Shared.NextDouble());
        stream.AppendMany(events);

        if (retryAt is { } at)
        {
            await bus.ScheduleAsync(new SubmitTrainingJob(job.Id, command.Attempt + 1), at);
        }
        else if (events.OfType<TrainingJobStarted>().Any())
        {
            await bus.ScheduleAsync(new PollTrainingJob(job.Id, 1), settings.PollInterval);
        }
    }
}
