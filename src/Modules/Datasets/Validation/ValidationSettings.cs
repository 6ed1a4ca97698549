namespace LoraPipeline.Datasets.Validation;

/// <summary>How a dataset is validated.</summary>
/// <param name="Format">The layout every line must follow.</param>
/// <param name="MaxSequenceLength">Tokens the training run keeps per example; longer examples are truncated (a warning).</param>
/// <param name="MaxIssuesKept">How many errors, and separately how many warnings, the outcome keeps; all are counted.</param>
/// <param name="MaxLineBytes">
/// The longest line accepted, in bytes without its line break. A longer line is one <c>line_too_long</c> error and
/// is skipped without being held in memory. Memory grows with it: a validation holds about 2 × workers + 3
/// buffers of max(1 MiB, this) bytes, hence the 64 MiB cap.
/// </param>
internal sealed record ValidationSettings(
    DatasetFormat Format,
    int MaxSequenceLength = 4096,
    int MaxIssuesKept = 100,
    int MaxLineBytes = 1 << 20)
{
    /// <summary>The highest <see cref="MaxLineBytes"/> accepted, which keeps the batch buffers' memory reasonable.</summary>
    public const int MaxLineBytesLimit = 64 << 20;

    /// <summary>Throws when a setting makes no sense, before any byte is read.</summary>
    public void EnsureUsable()
    {
        if (!Enum.IsDefined(Format))
        {
            throw new ArgumentOutOfRangeException(nameof(Format), Format, "Unknown dataset format.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSequenceLength, 1, nameof(MaxSequenceLength));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxIssuesKept, nameof(MaxIssuesKept));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLineBytes, 1, nameof(MaxLineBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxLineBytes, MaxLineBytesLimit, nameof(MaxLineBytes));
    }
}
