namespace LoraPipeline.Datasets.Validation;

/// <summary>What a worker found in one batch, merged by the validator in file order.</summary>
internal sealed class BatchResult(int lineCount, long byteCount)
{
    public int LineCount { get; } = lineCount;

    public long ByteCount { get; } = byteCount;

    /// <summary>Lines that are not blank: examples, valid or not.</summary>
    public int ExampleLines { get; set; }

    public List<ValidationIssue> Errors { get; } = [];

    public List<ValidationIssue> Warnings { get; } = [];

    /// <summary>The batch's first valid examples as raw JSON, up to <see cref="LineChecker.SamplesPerBatch"/>.</summary>
    public List<string> Samples { get; } = [];
}
