namespace LoraPipeline.Datasets;

/// <summary>Section "Datasets": upload limit and validation settings.</summary>
public sealed class DatasetOptions
{
    public const string Section = "Datasets";

    /// <summary>Largest dataset file accepted (500 MiB); a larger upload is a 413.</summary>
    public long MaxUploadBytes { get; set; } = 500L * 1024 * 1024;

    /// <summary>Tokens training keeps per example; longer examples are a warning (truncated).</summary>
    public int MaxSequenceLength { get; set; } = 4096;

    /// <summary>The tiktoken encoding used as a documented stand-in for the base model's tokenizer.</summary>
    public string TokenizerEncoding { get; set; } = "cl100k_base";

    /// <summary>Longest line accepted, in bytes; a longer one is a line_too_long error.</summary>
    public int MaxLineBytes { get; set; } = 1 << 20;

    /// <summary>Errors and warnings kept on the dataset; all are counted and all errors are paged.</summary>
    public int MaxIssuesKept { get; set; } = 100;

    /// <summary>
    /// Errors written to a validation's errors file (and so paged at /api/datasets/{id}/errors); the rest are
    /// only counted. Bounds the file: 2,000,000 bad lines would otherwise write almost a gigabyte.
    /// </summary>
    public int MaxErrorsListed { get; set; } = 10_000;

    /// <summary>Uploads one user may have streaming at once, per node (0: no limit); one more is a 429.</summary>
    public int MaxConcurrentUploadsPerUser { get; set; } = 3;

    /// <summary>Datasets one user may keep (deleted ones do not count; 0: no limit); one more is a 403.</summary>
    public int MaxDatasetsPerUser { get; set; } = 1000;

    /// <summary>Bytes of dataset files one user may keep on disk, until purged (20 GiB; 0: no limit); past it a 403.</summary>
    public long MaxStoredBytesPerUser { get; set; } = 20L * 1024 * 1024 * 1024;

    /// <summary>How often datasets are searched for a validation that stopped (0: never).</summary>
    public TimeSpan ValidationWatchInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A validation with no progress for this long has stopped: longer than a run may take (an hour)
    /// plus a wait in the queue, where validations run one at a time.
    /// </summary>
    public TimeSpan ValidationOverdueAfter { get; set; } = TimeSpan.FromMinutes(90);
}
