using LoraPipeline.Artifacts.Contracts;
using LoraPipeline.Artifacts.Inspecting;
using LoraPipeline.Artifacts.Model;
using LoraPipeline.Artifacts.Scoring;
using LoraPipeline.Platform;
using LoraPipeline.Platform.Storage;
using LoraPipeline.Training.Contracts;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Runtime.Handlers;

namespace LoraPipeline.Artifacts.Collecting;

/// <summary>Collect a completed job's files from the cluster (first attempt): sent by <see cref="JobCompletedHandler"/> and the collection watch.</summary>
public sealed record CollectArtifacts(Guid JobId, Guid UserId, string ExternalJobId);

/// <summary>Attempt <paramref name="Attempt"/> (2, 3, ...) of collecting a job's files, after a failure.</summary>
public sealed record RetryArtifactCollection(Guid JobId, Guid UserId, string ExternalJobId, int Attempt);

/// <summary>
/// A completed job's files become a model: listed on the cluster, streamed into the lora-models
/// bucket at {user}/{job}/{file} with SHA-256 checked against the cluster's, inspected, scored.
/// <list type="bullet">
/// <item>At most one artifact per job: its id derives from the job's, and the final events are
/// appended with an optimistic version check, so two runs cannot both finish it.</item>
/// <item>Resumable: each stored file is recorded in its own commit; a retry skips files already
/// stored with the right checksum, so nothing is downloaded or stored twice. Those progress
/// commits use a separate session: the handler's session marks the message handled in the
/// durable inbox when it commits, which must wait for the end, or a crash mid-collection would
/// lose the collection.</item>
/// <item>Failures are retried with exponential back-off, then recorded as a failed collection that
/// the user is told about and can start again (<see cref="RetryCollectionEndpoint"/>).</item>
/// </list>
/// </summary>
public static class CollectArtifactsHandler
{
    /// <summary>Downloads of several gigabytes take a while.</summary>
    public static void Configure(HandlerChain chain) => chain.ExecutionTimeoutInSeconds = 3600;

    public static Task Handle(
        CollectArtifacts command, IDocumentSession session, IMessageBus bus, ArtifactCollector collector, CancellationToken ct) =>
        collector.CollectAsync(session, bus, command.JobId, command.UserId, command.ExternalJobId, attempt: 1, ct);

    public static Task Handle(
        RetryArtifactCollection command, IDocumentSession session, IMessageBus bus, ArtifactCollector collector, CancellationToken ct) =>
        collector.CollectAsync(session, bus, command.JobId, command.UserId, command.ExternalJobId, command.Attempt, ct);
}

public sealed class ArtifactOptions
{
    public const string Section = "Artifacts";

    /// <summary>
    /// Collection attempts before giving up: with the default delays, over half an hour of trying (2 s doubling to a
    /// 10-minute cap), so a storage outage on the cluster's side of that length costs no model.
    /// </summary>
    public int MaxCollectionAttempts { get; set; } = 12;

    /// <summary>First wait between attempts; doubles each time (with jitter), at most 10 minutes.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest file accepted from the cluster (the lora-models bucket's 5 GB limit).</summary>
    public long MaxFileBytes { get; set; } = 5L * 1024 * 1024 * 1024;

    /// <summary>How often completed jobs without a model are looked at (0: never).</summary>
    public TimeSpan CollectionWatchInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A collection with no attempt, stored file or failure for this long has stopped: longer than an
    /// attempt may run (an hour) plus the longest back-off (15 minutes).
    /// </summary>
    public TimeSpan CollectionOverdueAfter { get; set; } = TimeSpan.FromMinutes(90);

    /// <summary>Lifetime of download links.</summary>
    public TimeSpan DownloadLinkLifetime { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>The I/O of a collection (cluster, blob store, event stream); decisions stay in small pure parts.</summary>
public sealed class ArtifactCollector(
    ITrainingJobs jobs, IGpuClusterArtifacts cluster, IBlobStore blobs, IDocumentStore store, IOptions<ArtifactOptions> options, TimeProvider clock,
    ILogger<ArtifactCollector> logger)
{
    public static Guid ArtifactIdFor(Guid jobId) => DeterministicGuid.From("model-artifact", jobId.ToString());

    public async Task CollectAsync(IDocumentSession session, IMessageBus bus, Guid jobId, Guid userId, string externalJobId, int attempt, CancellationToken ct)
    {
        var artifactId = ArtifactIdFor(jobId);
        var model = await session.LoadAsync<ModelArtifact>(artifactId, ct);
        if (model is { Status: ArtifactStatus.Stored or ArtifactStatus.Flagged })
        {
            await bus.PublishAsync(new LinkArtifact(jobId, artifactId)); // idempotent on the job's side
            return;
        }

        if (model is not null && model.CollectionAttempts >= attempt)
        {
            return; // a stale or duplicated retry
        }

        var report = await jobs.FindCompletedAsync(userId, jobId, ct);
        if (report is null)
        {
            logger.LogWarning("Job {JobId} is not completed; nothing to collect", jobId);
            return;
        }

        if (model is null)
        {
            var name = $"{report.DatasetName} - {report.CompletedAt:yyyy-MM-dd}";
            await using (var progress = store.LightweightSession(session.TenantId))
            {
                progress.Events.StartStream<ModelArtifact>(artifactId,
                    new ArtifactCollectionStarted(artifactId, jobId, userId, report.DatasetId, report.DatasetName, name, "1.0.0", clock.GetUtcNow()));
                await progress.SaveChangesAsync(ct);
            }

            model = (await session.LoadAsync<ModelArtifact>(artifactId, ct))!;
        }

        try
        {
            var files = await StoreFilesAsync(session, model, userId, jobId, externalJobId, ct);
            await FinishAsync(session, bus, model, report, files, ct);
        }
        catch (Exception e) when (e is ArtifactSourceUnavailableException or ChecksumMismatchException or IOException or HttpRequestException)
        {
            await RecordFailureAsync(session, bus, model, externalJobId, attempt, e.Message);
        }
    }

    private async Task<List<ArtifactFile>> StoreFilesAsync(
        IDocumentSession session, ModelArtifact model, Guid userId, Guid jobId, string externalJobId, CancellationToken ct)
    {
        var listed = await cluster.ListAsync(externalJobId, ct);
        var stored = new List<ArtifactFile>();
        foreach (var file in listed)
        {
            var location = new BlobLocation(Buckets.Models, ModelArtifact.FilePath(userId, jobId, SafeFileName.Of(file.Name)));
            var earlier = model.Artifacts.FirstOrDefault(f => f.Name == file.Name && (!file.ChecksumKnown || f.Sha256 == file.Sha256));
            // stored by an earlier attempt: resume without downloading it again, once its bytes still hash to what was recorded
            if (earlier is not null && blobs.SizeOf(location) == earlier.Size
                && string.Equals(await blobs.ComputeSha256Async(location, ct), earlier.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                stored.Add(earlier);
                continue;
            }

            await using var download = await cluster.OpenAsync(file, ct);
            var blob = await blobs.WriteAsync(location, download, options.Value.MaxFileBytes, ct);
            // a cluster that names no checksum (the spec's download_urls form) gets the one measured on arrival
            if (file.ChecksumKnown && !string.Equals(blob.Sha256, file.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                blobs.Delete(location);
                throw new ChecksumMismatchException($"{file.Name} arrived with SHA-256 {blob.Sha256}, the cluster announced {file.Sha256}");
            }

            await using (var progress = store.LightweightSession(session.TenantId))
            {
                progress.Events.Append(model.Id, new ArtifactFileStored(model.Id, file.Name, blob.Size, blob.Sha256, location.Path, clock.GetUtcNow()));
                await progress.SaveChangesAsync(ct);
            }
            stored.Add(new ArtifactFile(file.Name, blob.Size, blob.Sha256, location.Path, null, null));
        }

        return stored;
    }

    private async Task FinishAsync(
        IDocumentSession session, IMessageBus bus, ModelArtifact model, CompletedJobReport report, List<ArtifactFile> files, CancellationToken ct)
    {
        var (described, adapter) = await AdapterFiles.InspectAsync(files, blobs, ct);
        var quality = QualityRule.Score(report.Metrics);
        var summary = new TrainingSummary(
            report.EpochsCompleted, report.StepsCompleted, report.Metrics.Count > 0 ? report.Metrics[^1].TrainingLoss : null,
            Math.Round((decimal)(report.CompletedAt - report.StartedAt).TotalHours, 4), report.FinalCost);
        var configuration = new ModelConfiguration(report.PresetId, report.Hyperparameters, report.GpuConfig);
        var now = clock.GetUtcNow();

        // optimistic check: if another run finished this artifact meanwhile, this append fails and is retried, then finds it done
        var stream = await session.Events.FetchForExclusiveWriting<ModelArtifact>(model.Id, ct);
        if (stream.Aggregate is not { Status: ArtifactStatus.Collecting or ArtifactStatus.Failed })
        {
            return;
        }

        stream.AppendMany(
            new ModelArtifactStored(model.Id, quality, summary, configuration, described, adapter, now),
            new ArtifactReady(model.Id, report.JobId, model.UserId, model.Name, quality.OverallScore, described.Sum(f => f.Size), described.Any(f => f.Flagged), now));
        await bus.PublishAsync(new LinkArtifact(report.JobId, model.Id));
    }

    private async Task RecordFailureAsync(
        IDocumentSession session, IMessageBus bus, ModelArtifact model, string externalJobId, int attempt, string reason)
    {
        session.EjectAllPendingChanges();
        var (artifactId, jobId, userId) = (model.Id, model.JobId, model.UserId);
        var settings = options.Value;
        var now = clock.GetUtcNow();
        if (attempt >= settings.MaxCollectionAttempts)
        {
            var gaveUp = $"Collecting the model's files failed {attempt} times (last: {reason}).";
            session.Events.Append(artifactId,
                new ArtifactCollectionAttemptFailed(artifactId, attempt, reason, null, now),
                new ArtifactCollectionFailed(artifactId, gaveUp, now),
                new ModelCollectionFailed(artifactId, jobId, userId, model.Name, attempt, gaveUp, now));
            logger.LogError("Collecting the model of job {JobId} failed for good after {Attempt} attempts: {Reason}", jobId, attempt, reason);
            return;
        }

        var delay = TimeSpan.FromMilliseconds(Math.Min(
            settings.RetryDelay.TotalMilliseconds * Math.Pow(2, attempt - 1) * (0.5 + Random.Shared.NextDouble()), TimeSpan.FromMinutes(10).TotalMilliseconds));
        session.Events.Append(artifactId, new ArtifactCollectionAttemptFailed(artifactId, attempt, reason, now + delay, now));
        await bus.ScheduleAsync(new RetryArtifactCollection(jobId, userId, externalJobId, attempt + 1), delay);
        logger.LogWarning("Collecting the model of job {JobId} failed (attempt {Attempt}): {Reason}; retrying in {Delay}", jobId, attempt, reason, delay);
    }

}

/// <summary>File names come from the cluster: keep them to safe path segments.</summary>
internal static class SafeFileName
{
    public static string Of(string name)
    {
        var cleaned = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray()).TrimStart('.');
        return cleaned.Length == 0 ? "file" : cleaned;
    }
}

public sealed class ChecksumMismatchException(string message) : Exception(message);
