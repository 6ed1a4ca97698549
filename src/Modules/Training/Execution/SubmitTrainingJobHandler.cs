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
/// Queued → initializing → submitted → running. The job moves to initializing in a commit of its
/// own (so it shows), then the cluster gets the job with a 24-hour signed link to the dataset and
/// the job id as idempotency key: if we die between the cluster's answer and our commit, the
/// redelivered message submits again and gets the same cluster job instead of a second one.
/// The initializing commit uses a separate session on purpose: the handler's own session also
/// marks this message handled in the durable inbox when it commits, which must happen only at the
/// end, or a crash after "initializing" would leave the job there forever.
/// </summary>
public static class SubmitTrainingJobHandler
{
    public static readonly TimeSpan DatasetLinkLifetime = TimeSpan.FromHours(24);

    public static async Task Handle(
        SubmitTrainingJob command, IDocumentSession session, IDocumentStore store, IMessageBus bus, GpuClusterClient cluster, IDatasetCatalog datasets,
        FileLinkSigner links, ClusterCallbackUrls callbacks, IOptions<GpuClusterOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var job = await session.LoadAsync<TrainingJob>(command.JobId, ct);
        if (!SubmissionDecisions.ShouldAttempt(job, command.Attempt))
        {
            return; // already submitted, ended, or a stale redelivery
        }

        if (job!.Status == JobStatus.Queued)
        {
            await using var progress = store.LightweightSession(session.TenantId);
            var queued = await progress.Events.FetchForExclusiveWriting<TrainingJob>(command.JobId, ct);
            if (!SubmissionDecisions.ShouldAttempt(queued.Aggregate, command.Attempt))
            {
                return; // cancelled meanwhile
            }

            queued.AppendOne(new TrainingJobInitializing(command.JobId, clock.GetUtcNow()));
            await progress.SaveChangesAsync(ct);
        }

        var dataset = await datasets.FindAsync(job.UserId, job.DatasetId, ct);
        var validation = job.Extras.ValidationDatasetId is { } validationId ? await datasets.FindAsync(job.UserId, validationId, ct) : null;
        var missing = dataset is null ? "The job's dataset no longer exists."
            : job.Extras.ValidationDatasetId is not null && validation is null ? "The job's validation dataset no longer exists."
            : null;
        var result = missing is not null
            ? null
            : await cluster.SubmitAsync(new ClusterSubmitRequest(
                job.Id, links.Sign(dataset!.File, DatasetLinkLifetime).Url, job.Hyperparameters, job.GpuConfig, callbacks.For(job),
                job.Extras.Seed, job.Extras.ValidationSplit, dataset.MaxSequenceLength > 0 ? dataset.MaxSequenceLength : null,
                validation is null ? null : links.Sign(validation.File, DatasetLinkLifetime).Url), ct);

        // the cluster has answered: lock the stream and decide on its current state
        var stream = await session.Events.FetchForExclusiveWriting<TrainingJob>(command.JobId, ct);
        if (!SubmissionDecisions.ShouldAttempt(stream.Aggregate, command.Attempt))
        {
            // cancelled while we submitted: the cluster's job is an orphan. Not when another delivery of this
            // attempt recorded it: the job id is the idempotency key, so that is this very cluster job.
            if (result is ClusterCall<ClusterSubmitResponse>.Answered { Value.ExternalJobId: var orphan } && stream.Aggregate?.ExternalJobId != orphan)
            {
                var (recorded, sent) = ClusterCancels.Request(command.JobId, orphan, clock.GetUtcNow());
                stream.AppendOne(recorded);
                await bus.PublishAsync(sent);
            }

            return;
        }

        job = stream.Aggregate!;
        if (result is null)
        {
            stream.AppendOne(JobEndings.Failed(job, missing!, clock.GetUtcNow()));
            return;
        }

        var settings = options.Value;
        var (events, retryAt) = SubmissionDecisions.Decide(
            job, command.Attempt, result, clock.GetUtcNow(), settings.MaxSubmitAttempts, settings.SubmitRetryDelay, Random.Shared.NextDouble());
        stream.AppendMany(events);

        if (retryAt is { } at)
        {
            await bus.ScheduleAsync(new SubmitTrainingJob(job.Id, command.Attempt + 1), at);
        }
        else if (result is ClusterCall<ClusterSubmitResponse>.Transient && events.OfType<TrainingJobFailed>().Any())
        {
            // given up after time-outs: the cluster may have accepted a submission we never heard back from
            await bus.ScheduleAsync(new ReconcileAbandonedSubmission(job.Id), settings.ReconcileAbandonedAfter);
        }
        else if (events.OfType<TrainingJobStarted>().Any())
        {
            await bus.ScheduleAsync(new PollTrainingJob(job.Id, 1), settings.FirstPollDelay(Random.Shared.NextDouble()));
        }
    }
}
