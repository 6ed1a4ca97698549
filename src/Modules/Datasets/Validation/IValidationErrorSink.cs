namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// Receives every error of a validation, in line order, while the file is read, so that the caller can keep the
/// complete list (the outcome keeps only the first few). Called from one task at a time.
/// </summary>
internal interface IValidationErrorSink
{
    ValueTask WriteAsync(ValidationIssue issue, CancellationToken ct);
}

/// <summary>Ready-made sinks.</summary>
internal static class ValidationErrorSink
{
    /// <summary>For callers content with the first errors and the counts in the outcome.</summary>
    public static IValidationErrorSink Discard { get; } = new DiscardingSink();

    private sealed class DiscardingSink : IValidationErrorSink
    {
        public ValueTask WriteAsync(ValidationIssue issue, CancellationToken ct) => ValueTask.CompletedTask;
    }
}
