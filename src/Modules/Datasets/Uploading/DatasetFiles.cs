using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Datasets.Deleting;
using LoraPipeline.Datasets.Model;
using LoraPipeline.Datasets.Validating;
using LoraPipeline.Datasets.Validation;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Platform.Limits;
using LoraPipeline.Platform.Storage;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Marten;

namespace LoraPipeline.Datasets.Uploading;

/// <summary>
/// <see cref="IDatasetFiles"/>: the upload endpoint's rules for a file that arrives on its own (OpenAI's Files API):
/// the same type and content checks, size limit and per-user quotas (<see cref="UploadQuota"/>), the stream started and validation queued in one transaction
/// (a message for the user's tenant), and the stored file deleted when anything is refused.
/// </summary>
public sealed class DatasetFiles(
    IDocumentStore store, IMessageBus bus, IBlobStore blobs, UserConcurrency concurrency, IOptions<DatasetOptions> options, TimeProvider clock)
    : IDatasetFiles
{
    public const int ErrorsShown = 5;

    public long MaxUploadBytes => options.Value.MaxUploadBytes;

    public async Task<DatasetFile> UploadAsync(Guid userId, string fileName, string? contentType, Stream content, CancellationToken ct)
    {
        var name = UploadRules.SanitizeFileName(fileName);
        if (UploadRules.RefuseDeclaredType(name, contentType) is { } refusal)
        {
            throw new ApiProblemException(StatusCodes.Status415UnsupportedMediaType, "Unsupported file type", refusal);
        }

        var limits = options.Value;
        var datasetId = Guid.NewGuid();
        var location = new BlobLocation(Buckets.Datasets, Dataset.FilePath(userId, datasetId));
        using var uploading = UploadQuota.Start(concurrency, userId, limits);
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        await UploadQuota.CheckAsync(session, limits, incomingBytes: 0, ct);
        try
        {
            var stored = await StoreAsync(content, location, limits.MaxUploadBytes, ct);
            if (stored.Size == 0)
            {
                throw ApiProblems.BadRequest("Empty file", "The file is empty: upload a JSONL file with one example per line.");
            }

            await UploadQuota.CheckAsync(session, limits, stored.Size, ct); // the user's quotas, with the file's real size

            var uploaded = new DatasetUploaded(
                datasetId, userId, UserText.Clean(Path.GetFileNameWithoutExtension(name)) is { Length: > 0 } n ? n[..Math.Min(n.Length, UploadRules.MaxNameLength)] : name,
                null, DatasetFormats.V4WireName, name, stored.Size, stored.Sha256, location.Path, limits.MaxSequenceLength, clock.GetUtcNow());
            await bus.InvokeForTenantAsync(Caller.TenantOf(userId), new StartUploadedDataset(uploaded), ct);
        }
        catch
        {
            blobs.Delete(location);
            throw;
        }

        return (await FindAsync(userId, datasetId, ct))!;
    }

    public async Task<DatasetFile?> FindAsync(Guid userId, Guid datasetId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        return await session.LoadAsync<Dataset>(datasetId, ct) is { } dataset ? From(dataset) : null;
    }

    public async Task<IReadOnlyList<DatasetFile>> ListAsync(Guid userId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var datasets = await session.Query<Dataset>().Where(d => d.DeletedAt == null)
            .OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Id).ToListAsync(ct);
        return datasets.Select(From).ToList();
    }

    public async Task<bool> DeleteAsync(Guid userId, Guid datasetId, CancellationToken ct)
    {
        var outcome = await bus.InvokeForTenantAsync<DatasetFileDeletion>(Caller.TenantOf(userId), new DeleteDatasetFile(datasetId), ct);
        return outcome.InUse
            ? throw ApiProblems.Conflict("Dataset in use", "A training job of this file is queued or running; cancel it or wait for it to end, then delete.")
            : outcome.Deleted;
    }

    private async Task<StoredBlob> StoreAsync(Stream content, BlobLocation location, long maxBytes, CancellationToken ct)
    {
        try
        {
            return await blobs.WriteAsync(location, new ContentSniffingStream(content), maxBytes, ct);
        }
        catch (BlobTooLargeException tooLarge)
        {
            throw new ApiProblemException(StatusCodes.Status413PayloadTooLarge, "Dataset too large",
                $"A dataset file may have at most {tooLarge.Limit:N0} bytes ({tooLarge.Limit / (1024 * 1024)} MiB); split it or sample it.");
        }
        catch (UnsupportedDatasetContentException unsupported)
        {
            throw new ApiProblemException(StatusCodes.Status415UnsupportedMediaType, "Unsupported file content", unsupported.Message);
        }
    }

    private static DatasetFile From(Dataset d) => new(
        d.Id, d.Name, d.FileName, d.FileSize, d.CreatedAt, d.Status.ToString().ToLowerInvariant(), d.ErrorCount,
        d.ValidationErrors.Take(ErrorsShown).Select(e => $"line {e.Line}: {e.Message}").ToList(), d.File, d.DeletedAt is not null);
}

/// <summary>Start a stored file's dataset stream and queue its validation, in the handler's one transaction.</summary>
public sealed record StartUploadedDataset(DatasetUploaded Uploaded);

public static class StartUploadedDatasetHandler
{
    public static async Task Handle(StartUploadedDataset command, IDocumentSession session, IMessageBus bus)
    {
        session.Events.StartStream<Dataset>(command.Uploaded.DatasetId, command.Uploaded);
        await bus.PublishAsync(new ValidateDataset(command.Uploaded.DatasetId, Run: 1));
    }
}

/// <summary>Soft-delete a dataset as a file; answered with <see cref="DatasetFileDeletion"/>.</summary>
public sealed record DeleteDatasetFile(Guid DatasetId);

public sealed record DatasetFileDeletion(bool Deleted, bool InUse);

public static class DeleteDatasetFileHandler
{
    public static async Task<(DatasetFileDeletion, Events)> Handle(
        DeleteDatasetFile command, [WriteAggregate(nameof(DeleteDatasetFile.DatasetId), Required = false)] Dataset? dataset,
        IDatasetUsage usage, TimeProvider clock, CancellationToken ct)
    {
        if (dataset is not { DeletedAt: null })
        {
            return (new DatasetFileDeletion(false, false), []);
        }

        if (await usage.HasActiveJobsAsync(dataset.UserId, dataset.Id, ct))
        {
            return (new DatasetFileDeletion(false, true), []);
        }

        return (new DatasetFileDeletion(true, false), [new DatasetDeleted(dataset.Id, clock.GetUtcNow())]);
    }
}
