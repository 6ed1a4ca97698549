using System.Text.Json;
using LoraPipeline.Datasets.Model;
using LoraPipeline.Datasets.Validation;
using LoraPipeline.Platform.Storage;
using Marten;
using Microsoft.Extensions.Options;

namespace LoraPipeline.Datasets.Validating;

/// <summary>
/// Validates a dataset that is already in the blob store: streams the file through the
/// validator, writes the first errors (one JSON object per line) straight into the dataset's errors file, and
/// keeps a small progress document current so long validations show how far they are.
/// </summary>
public sealed class StoredDatasetValidator
{
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(1);
    private readonly DatasetValidator _validator;
    private readonly IBlobStore _blobs;
    private readonly IDocumentStore _store;
    private readonly TimeProvider _clock;
    private readonly DatasetOptions _options;
    private readonly ILogger<StoredDatasetValidator> _logger;

    public StoredDatasetValidator(IBlobStore blobs, IDocumentStore store, TimeProvider clock, IOptions<DatasetOptions> options, ILogger<StoredDatasetValidator> logger)
    {
        _options = options.Value;
        _validator = new DatasetValidator(new TiktokenTokenCounterFactory(_options.TokenizerEncoding));
        _blobs = blobs;
        _store = store;
        _clock = clock;
        _logger = logger;
    }

    public string Tokenizer => _options.TokenizerEncoding;

    /// <summary>
    /// Validates the dataset's file and stores its errors file (the first <see cref="DatasetOptions.MaxErrorsListed"/>
    /// errors) and that file's line index, both before the outcome is returned, so the event recording the outcome
    /// never points at files that are not there yet.
    /// </summary>
    public async Task<ValidationOutcome> ValidateAsync(Dataset dataset, string tenant, CancellationToken ct)
    {
        var settings = new ValidationSettings(
            DatasetFormats.Parse(dataset.Format), dataset.MaxSequenceLength, _options.MaxIssuesKept, _options.MaxLineBytes);

        ValidationOutcome? outcome = null;
        BoundedErrorsFile? errors = null;
        await _blobs.WriteAsync(dataset.ErrorsFile, async (output, token) =>
        {
            await using var input = _blobs.OpenRead(dataset.File) ?? throw new FileNotFoundException($"Dataset file {dataset.File} is missing.");
            errors = new BoundedErrorsFile(output, _options.MaxErrorsListed);
            var progress = new ProgressRecorder(_store, tenant, dataset.Id, dataset.ValidationRun, input.Length, _clock, _logger);
            outcome = await _validator.ValidateAsync(input, settings, errors, progress, token);
            await progress.FlushAsync();
        }, ct);

        await using (var index = new MemoryStream(errors!.Index(), writable: false))
        {
            await _blobs.WriteAsync(dataset.ErrorsIndexFile, index, maxBytes: null, ct);
        }

        return outcome! with { ErrorsListed = errors.Listed };
    }

    /// <summary>Saves the bytes processed at most once a second, without slowing the validator down.</summary>
    private sealed class ProgressRecorder(
        IDocumentStore store, string tenant, Guid datasetId, int run, long totalBytes, TimeProvider clock, ILogger logger)
        : IProgress<ValidationProgress>
    {
        private long _bytes;
        private DateTimeOffset _lastSaved = DateTimeOffset.MinValue;
        private Task _saving = Task.CompletedTask;

        public void Report(ValidationProgress value)
        {
            Interlocked.Exchange(ref _bytes, value.BytesProcessed);
            var now = clock.GetUtcNow();
            if (now - _lastSaved < ProgressEvery || !_saving.IsCompleted)
            {
                return;
            }

            _lastSaved = now;
            _saving = SaveAsync(Interlocked.Read(ref _bytes));
        }

        public async Task FlushAsync()
        {
            await _saving;
            await SaveAsync(Interlocked.Read(ref _bytes));
        }

        private async Task SaveAsync(long bytes)
        {
            try
            {
                await using var session = store.LightweightSession(tenant);
                session.Store(new DatasetValidationProgress { Id = datasetId, Run = run, BytesProcessed = bytes, TotalBytes = totalBytes, UpdatedAt = clock.GetUtcNow() });
                await session.SaveChangesAsync();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // progress is a courtesy; validation goes on without it
                logger.LogWarning(e, "Could not record validation progress of dataset {DatasetId}", datasetId);
            }
        }
    }
}

/// <summary>How far the validation run of a dataset is; read by GET /api/datasets/{id} while validating.</summary>
public sealed class DatasetValidationProgress
{
    public Guid Id { get; set; }
    public int Run { get; set; }
    public long BytesProcessed { get; set; }
    public long TotalBytes { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    public ValidationProgressView View() => new(
        BytesProcessed, TotalBytes, TotalBytes == 0 ? 100m : Math.Round(100m * BytesProcessed / TotalBytes, 1));
}

/// <summary>Issues on the wire and in the errors file: snake_case, like every body of this API.</summary>
internal static class IssueJson
{
    public static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
