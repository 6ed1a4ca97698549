using System.Text.Json;
using LoraPipeline.Datasets.Validation;
using LoraPipeline.Platform.Storage;
using Marten.Schema;

namespace LoraPipeline.Datasets.Model;

public enum DatasetStatus
{
    Uploading,
    Validating,
    Ready,
    Error,
}

/// <summary>
/// A dataset's state (E01's datasets fields plus the validation report), built inline from the dataset's
/// event stream by <see cref="DatasetProjection"/>: what the decisions of this module read (with its stream
/// version) and what <see cref="DatasetView"/> shows users.
/// </summary>
public sealed class Dataset
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public string Format { get; set; } = DatasetFormats.V4WireName;
    public DatasetStatus Status { get; set; }
    public string StorageBucket { get; set; } = Buckets.Datasets;
    public string StoragePath { get; set; } = "";
    public string FileName { get; set; } = "";
    public long FileSize { get; set; }
    public string FileSha256 { get; set; } = "";

    public long? TotalTrainingPairs { get; set; }
    public long? TotalValidationPairs { get; set; }
    public long? TotalTokens { get; set; }
    public decimal? AvgTurnsPerConversation { get; set; }
    public decimal? AvgTokensPerTurn { get; set; }
    public bool TrainingReady { get; set; }
    public DateTimeOffset? ValidatedAt { get; set; }

    /// <summary>The first 100 errors; all of them are paged at /api/datasets/{id}/errors.</summary>
    public List<ValidationIssue> ValidationErrors { get; set; } = [];
    public long ErrorCount { get; set; }

    /// <summary>
    /// Errors in the errors file, the first ones in line order: all of them unless there were more than
    /// <see cref="DatasetOptions.MaxErrorsListed"/>. Null for validations recorded before the list was bounded
    /// (their file lists every error).
    /// </summary>
    public long? ErrorsListed { get; set; }

    /// <summary>True when the errors file stops before the last error (every error is still counted by code).</summary>
    public bool ErrorsListTruncated => ErrorsListed is { } listed && listed < ErrorCount;
    public Dictionary<string, long> ErrorCounts { get; set; } = [];
    public List<ValidationIssue> Warnings { get; set; } = [];
    public long WarningCount { get; set; }
    public Dictionary<string, long> WarningCounts { get; set; } = [];
    public List<JsonElement> SampleData { get; set; } = [];
    public ValidationReport? ValidationReport { get; set; }

    /// <summary>Settings of the latest validation run.</summary>
    public int MaxSequenceLength { get; set; }
    public string Tokenizer { get; set; } = "";
    public int ValidationRun { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? DeletedAt { get; set; }

    /// <summary>When its files were removed for real (DELETE ?purge=true); the record stays.</summary>
    public DateTimeOffset? PurgedAt { get; set; }

    [Version]
    public long Version { get; set; }

    public BlobLocation File => new(StorageBucket, StoragePath);

    public BlobLocation ErrorsFile => new(StorageBucket, ErrorsPath(UserId, Id));

    public static string FilePath(Guid userId, Guid datasetId) => $"{userId}/{datasetId}/dataset.jsonl";

    /// <summary>The byte offset of each line of the errors file, 8 bytes little-endian per line: pages seek instead of reading every line before them.</summary>
    public BlobLocation ErrorsIndexFile => new(StorageBucket, ErrorsIndexPath(UserId, Id));

    public static string ErrorsPath(Guid userId, Guid datasetId) => $"{userId}/{datasetId}/validation-errors.jsonl";

    public static string ErrorsIndexPath(Guid userId, Guid datasetId) => $"{userId}/{datasetId}/validation-errors.idx";
}

public sealed record ValidationProgressView(long BytesProcessed, long TotalBytes, decimal Percent);
