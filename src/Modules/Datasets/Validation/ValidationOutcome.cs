namespace LoraPipeline.Datasets.Validation;

/// <summary>The result of validating a whole dataset.</summary>
/// <param name="Statistics">Figures over the valid examples only.</param>
/// <param name="FirstErrors">The first <see cref="ValidationSettings.MaxIssuesKept"/> errors, in line order.</param>
/// <param name="ErrorCountsByCode">Every error counted by its code.</param>
/// <param name="TotalErrors">All errors; each one was also written to the error sink.</param>
/// <param name="FirstWarnings">The first <see cref="ValidationSettings.MaxIssuesKept"/> warnings, in line order.</param>
/// <param name="WarningCountsByCode">Every warning counted by its code.</param>
/// <param name="TotalWarnings">All warnings.</param>
/// <param name="BytesRead">Bytes read from the stream.</param>
/// <param name="LinesRead">Lines read, blank ones included.</param>
/// <param name="ErrorsListed">
/// Errors written to the errors file (the first ones); null in outcomes recorded before that file was bounded.
/// </param>
public sealed record ValidationOutcome(
    DatasetStatistics Statistics,
    IReadOnlyList<ValidationIssue> FirstErrors,
    IReadOnlyDictionary<string, long> ErrorCountsByCode,
    long TotalErrors,
    IReadOnlyList<ValidationIssue> FirstWarnings,
    IReadOnlyDictionary<string, long> WarningCountsByCode,
    long TotalWarnings,
    long BytesRead,
    long LinesRead,
    long? ErrorsListed = null)
{
    /// <summary>True when nothing blocks training (warnings do not).</summary>
    public bool IsValid => TotalErrors == 0;
}

/// <summary>The dataset figures the platform shows and bills by, over valid examples.</summary>
/// <param name="TotalTrainingPairs">Examples with split <c>train</c> or no split.</param>
/// <param name="TotalValidationPairs">Examples with split <c>validation</c>.</param>
/// <param name="TotalTokens">Tokens of all examples, counted as described on <see cref="ExampleTokens"/>.</param>
/// <param name="AvgTurnsPerConversation">Messages per example, mean, 2 decimals.</param>
/// <param name="AvgTokensPerTurn">Total tokens divided by total messages, 2 decimals.</param>
/// <param name="SampleData">The first three valid examples, as their raw JSON lines.</param>
/// <param name="ValidationReport">Distributions and training figures.</param>
public sealed record DatasetStatistics(
    long TotalTrainingPairs,
    long TotalValidationPairs,
    long TotalTokens,
    decimal AvgTurnsPerConversation,
    decimal AvgTokensPerTurn,
    IReadOnlyList<string> SampleData,
    ValidationReport ValidationReport);

/// <param name="ExampleCount">Valid examples.</param>
/// <param name="ExamplesMissingSystem">Valid examples without a system message (all of them in brightrun_lora_v3).</param>
/// <param name="ExamplesMissingUser">Valid examples without a user message.</param>
/// <param name="MessagesPerExample">Distribution of the number of messages of an example.</param>
/// <param name="TokensPerExample">Distribution of an example's tokens.</param>
/// <param name="AssistantTokensPerExample">Distribution of the tokens of an example's assistant contents.</param>
/// <param name="MaxSequenceLength">The maximum length the figures below were computed with.</param>
/// <param name="ExamplesOverMaxLength">Examples longer than <paramref name="MaxSequenceLength"/>, which training truncates.</param>
/// <param name="BillableTokens">Sum over examples of min(tokens, <paramref name="MaxSequenceLength"/>): what training processes.</param>
/// <param name="MessagesHistogram">Examples counted by number of messages, in bins (see <see cref="HistogramBin"/>); null in reports recorded before histograms.</param>
/// <param name="TokensHistogram">Examples counted by tokens, in bins; null in reports recorded before histograms.</param>
/// <param name="AssistantTokensHistogram">Examples counted by assistant tokens, in bins; null in reports recorded before histograms.</param>
public sealed record ValidationReport(
    long ExampleCount,
    long ExamplesMissingSystem,
    long ExamplesMissingUser,
    ValueDistribution MessagesPerExample,
    ValueDistribution TokensPerExample,
    ValueDistribution AssistantTokensPerExample,
    int MaxSequenceLength,
    long ExamplesOverMaxLength,
    long BillableTokens,
    IReadOnlyList<HistogramBin>? MessagesHistogram = null,
    IReadOnlyList<HistogramBin>? TokensHistogram = null,
    IReadOnlyList<HistogramBin>? AssistantTokensHistogram = null);

/// <summary>
/// One bar of a histogram: the examples whose value lies in <paramref name="From"/>..<paramref name="To"/> (both
/// included). Bins of one histogram are adjacent, of equal width (1, 2 or 5 times a power of ten), in ascending
/// order, empty ones included, so that a chart of them shows the shape of the data honestly.
/// </summary>
public sealed record HistogramBin(int From, int To, long Count);

/// <summary>
/// Summary of a set of whole numbers. Percentiles use the nearest-rank method (see <see cref="IntHistogram"/>),
/// so each one is a value that occurs in the data. All zero when there are no values.
/// </summary>
/// <param name="Mean">Arithmetic mean, 2 decimals.</param>
/// <param name="Median">The 50th percentile by nearest rank (for an even count, the lower middle value).</param>
public sealed record ValueDistribution(int Min, int Max, decimal Mean, int Median, int P10, int P90)
{
    public static ValueDistribution Empty { get; } = new(0, 0, 0m, 0, 0, 0);
}
