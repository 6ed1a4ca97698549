namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// Gathers batch results in file order: streams errors to the sink, keeps the first issues and the counts,
/// picks the first samples and reports progress. Used by one task at a time.
/// </summary>
internal sealed class MergedResults(
    ValidationSettings settings,
    IValidationErrorSink errorSink,
    IProgress<ValidationProgress>? progress,
    long? totalBytes)
{
    private const int SampleCount = 3;

    private readonly IssueLog _errors = new(settings.MaxIssuesKept);
    private readonly IssueLog _warnings = new(settings.MaxIssuesKept);
    private readonly List<string> _samples = new(SampleCount);

    public long BytesRead { get; private set; }

    public long LinesRead { get; private set; }

    public long ExampleLines { get; private set; }

    public IReadOnlyList<string> Samples => _samples;

    public async ValueTask AddAsync(BatchResult batch, CancellationToken ct)
    {
        foreach (var error in batch.Errors)
        {
            await AddErrorAsync(error, ct);
        }

        foreach (var warning in batch.Warnings)
        {
            _warnings.Add(warning);
        }

        foreach (var sample in batch.Samples)
        {
            if (_samples.Count < SampleCount)
            {
                _samples.Add(sample);
            }
        }

        BytesRead += batch.ByteCount;
        LinesRead += batch.LineCount;
        ExampleLines += batch.ExampleLines;
        progress?.Report(new ValidationProgress(BytesRead, totalBytes, LinesRead));
    }

    public ValueTask AddErrorAsync(ValidationIssue error, CancellationToken ct)
    {
        _errors.Add(error);
        return errorSink.WriteAsync(error, ct);
    }

    public ValidationOutcome ToOutcome(DatasetStatistics statistics) => new(
        statistics,
        FirstErrors: _errors.First,
        ErrorCountsByCode: _errors.CountsByCode,
        TotalErrors: _errors.Total,
        FirstWarnings: _warnings.First,
        WarningCountsByCode: _warnings.CountsByCode,
        TotalWarnings: _warnings.Total,
        BytesRead,
        LinesRead);
}
