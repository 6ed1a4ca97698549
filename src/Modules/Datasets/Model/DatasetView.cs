using System.Text.Json;
using LoraPipeline.Datasets.Validation;

namespace LoraPipeline.Datasets.Model;

/// <summary>
/// A dataset on the wire (E01's datasets fields and the validation report): what users see of
/// <see cref="Dataset"/>, without the stream version, and with the progress of a validation under way.
/// </summary>
public sealed record DatasetView(
    Guid Id,
    Guid UserId,
    string Name,
    string? Description,
    string Format,
    DatasetStatus Status,
    string StorageBucket,
    string StoragePath,
    string FileName,
    long FileSize,
    string FileSha256,
    long? TotalTrainingPairs,
    long? TotalValidationPairs,
    long? TotalTokens,
    decimal? AvgTurnsPerConversation,
    decimal? AvgTokensPerTurn,
    bool TrainingReady,
    DateTimeOffset? ValidatedAt,
    IReadOnlyList<ValidationIssue> ValidationErrors,
    long ErrorCount,
    IReadOnlyDictionary<string, long> ErrorCounts,
    long? ErrorsListed,
    bool ErrorsListTruncated,
    IReadOnlyList<ValidationIssue> Warnings,
    long WarningCount,
    IReadOnlyDictionary<string, long> WarningCounts,
    IReadOnlyList<JsonElement> SampleData,
    ValidationReport? ValidationReport,
    int MaxSequenceLength,
    string Tokenizer,
    int ValidationRun,
    ValidationProgressView? ValidationProgress,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DeletedAt,
    DateTimeOffset? PurgedAt)
{
    public static DatasetView From(Dataset d, ValidationProgressView? progress = null) => new(
        d.Id, d.UserId, d.Name, d.Description, d.Format, d.Status, d.StorageBucket, d.StoragePath, d.FileName, d.FileSize, d.FileSha256,
        d.TotalTrainingPairs, d.TotalValidationPairs, d.TotalTokens, d.AvgTurnsPerConversation, d.AvgTokensPerTurn, d.TrainingReady,
        d.ValidatedAt, d.ValidationErrors, d.ErrorCount, d.ErrorCounts, d.ErrorsListed, d.ErrorsListTruncated, d.Warnings, d.WarningCount,
        d.WarningCounts, d.SampleData, d.ValidationReport, d.MaxSequenceLength, d.Tokenizer, d.ValidationRun, progress,
        d.CreatedAt, d.UpdatedAt, d.DeletedAt, d.PurgedAt);
}
