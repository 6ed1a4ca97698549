using System.Text.Json;

namespace LoraPipeline.Cli.Api;

public sealed record DatasetSummary(
    Guid Id, string Name, string? Description, string? Format, string Status, string? FileName, long FileSize,
    long? TotalTrainingPairs, long? TotalValidationPairs, long? TotalTokens, bool TrainingReady,
    long ErrorCount, long WarningCount, DateTimeOffset CreatedAt, DateTimeOffset? ValidatedAt);

public sealed record DatasetList(IReadOnlyList<DatasetSummary> Datasets, Pagination? Pagination);

/// <summary>One problem of a dataset: <c>error</c> is the message (the contract's name for it).</summary>
public sealed record ValidationIssue(long Line, string Code, string Error, string? Suggestion);

/// <summary>Summary statistics of whole numbers over the valid examples (nearest-rank percentiles).</summary>
public sealed record Distribution(int Min, int Max, decimal Mean, int Median, int P10, int P90);

public sealed record ValidationReport(
    long ExampleCount, long ExamplesMissingSystem, long ExamplesMissingUser,
    Distribution? MessagesPerExample, Distribution? TokensPerExample, Distribution? AssistantTokensPerExample,
    int MaxSequenceLength, long ExamplesOverMaxLength, long BillableTokens);

public sealed record ValidationProgress(long BytesProcessed, long TotalBytes, decimal Percent);

/// <summary><c>GET /api/datasets/{id}</c>: statistics, report, first errors and warnings, progress while validating.</summary>
public sealed record Dataset(
    Guid Id, string Name, string? Description, string? Format, string Status, string? FileName, long FileSize,
    long? TotalTrainingPairs, long? TotalValidationPairs, long? TotalTokens, decimal? AvgTurnsPerConversation,
    decimal? AvgTokensPerTurn, bool TrainingReady, DateTimeOffset? ValidatedAt,
    IReadOnlyList<ValidationIssue>? ValidationErrors, long ErrorCount, IReadOnlyDictionary<string, long>? ErrorCounts,
    IReadOnlyList<ValidationIssue>? Warnings, long WarningCount, IReadOnlyDictionary<string, long>? WarningCounts,
    IReadOnlyList<JsonElement>? SampleData, ValidationReport? ValidationReport, int? MaxSequenceLength, string? Tokenizer,
    ValidationProgress? ValidationProgress, DateTimeOffset CreatedAt, DateTimeOffset? DeletedAt)
{
    public bool IsValidating => Status is "validating" or "uploading";
}

/// <summary><c>GET /api/datasets/{id}/errors</c>.</summary>
public sealed record DatasetErrors(string Status, long TotalErrors, IReadOnlyDictionary<string, long>? ErrorCounts, IReadOnlyList<ValidationIssue> Errors, Pagination? Pagination);
