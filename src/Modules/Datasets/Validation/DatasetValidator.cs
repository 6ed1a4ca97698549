namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// Validates a JSONL dataset as it streams in, and computes its statistics with real token counts, in memory
/// bounded by the batch buffers (a few times max(1 MiB, <see cref="ValidationSettings.MaxLineBytes"/>)) whatever
/// the file's size. Lines are checked in parallel; errors still come out in line order.
/// </summary>
internal sealed class DatasetValidator
{
    private readonly ITokenCounterFactory _tokenCounters;
    private readonly int _workerCount;

    /// <param name="tokenCounters">Gives each worker its own counter (see <see cref="TiktokenTokenCounterFactory"/>).</param>
    /// <param name="workerCount">Parallel workers; by default one per processor.</param>
    public DatasetValidator(ITokenCounterFactory tokenCounters, int? workerCount = null)
    {
        ArgumentNullException.ThrowIfNull(tokenCounters);
        if (workerCount is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(workerCount), workerCount, "At least one worker is needed.");
        }

        _tokenCounters = tokenCounters;
        _workerCount = workerCount ?? Environment.ProcessorCount;
    }

    /// <param name="utf8Jsonl">The dataset, read from its current position to its end; not disposed.</param>
    /// <param name="errors">Receives every error in line order, while reading.</param>
    /// <param name="progress">Told the bytes processed after each block of about a mebibyte.</param>
    public async Task<ValidationOutcome> ValidateAsync(
        Stream utf8Jsonl,
        ValidationSettings settings,
        IValidationErrorSink errors,
        IProgress<ValidationProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(utf8Jsonl);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(errors);
        settings.EnsureUsable();

        var pool = new BufferPool(LineBatchReader.BufferSizeFor(settings.MaxLineBytes));
        var reader = new LineBatchReader(utf8Jsonl, pool, settings.MaxLineBytes);
        var merged = new MergedResults(settings, errors, progress, TotalBytes(utf8Jsonl));

        var checkers = await OrderedBatchPipeline.RunAsync(
            reader,
            pool,
            _workerCount,
            createWorker: () => new LineChecker(settings, _tokenCounters.CreateCounter()),
            process: static (checker, batch) => checker.Check(batch),
            merge: merged.AddAsync,
            ct);

        if (merged.ExampleLines == 0)
        {
            await merged.AddErrorAsync(EmptyFile(merged.LinesRead), ct);
        }

        var statistics = new StatisticsAccumulator(settings.MaxSequenceLength);
        foreach (var checker in checkers)
        {
            statistics.Merge(checker.Statistics);
        }

        return merged.ToOutcome(statistics.ToStatistics(merged.Samples));
    }

    private static ValidationIssue EmptyFile(long linesRead) => new(
        Line: 0,
        ErrorCodes.EmptyFile,
        linesRead == 0 ? "The file is empty." : $"The file has no examples, only {linesRead} blank line(s).",
        "Upload a JSONL file with one example per line, such as {\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello!\"}]}.");

    private static long? TotalBytes(Stream stream)
    {
        try
        {
            return stream.CanSeek ? stream.Length - stream.Position : null;
        }
        catch (NotSupportedException)
        {
            return null; // some streams claim CanSeek but cannot tell their length
        }
    }
}
