using System.Text;
using LoraPipeline.Datasets.Validation;
using Microsoft.ML.Tokenizers;

namespace LoraPipeline.Datasets.Tests.Validation;

/// <summary>Runs the validator over in-memory files and keeps everything it reports.</summary>
internal static class ValidationTestKit
{
    /// <summary>Creating a tokenizer reads its vocabulary once per process; share one factory.</summary>
    public static TiktokenTokenCounterFactory Counters { get; } = new();

    /// <summary>An independent tokenizer for the tests' own expectations.</summary>
    public static Tokenizer Cl100k { get; } = TiktokenTokenizer.CreateForEncoding("cl100k_base");

    public static int Tokens(string text) => Cl100k.CountTokens(text);

    public static Task<ValidationRun> ValidateAsync(string jsonl, ValidationSettings? settings = null, int workers = 2) =>
        ValidateAsync(Encoding.UTF8.GetBytes(jsonl), settings, workers);

    public static Task<ValidationRun> ValidateAsync(byte[] file, ValidationSettings? settings = null, int workers = 2) =>
        ValidateAsync(new MemoryStream(file), settings, workers);

    public static async Task<ValidationRun> ValidateAsync(Stream file, ValidationSettings? settings = null, int workers = 2)
    {
        var sink = new CollectingSink();
        var progress = new RecordingProgress();
        var validator = new DatasetValidator(Counters, workers);
        var outcome = await validator.ValidateAsync(
            file, settings ?? new ValidationSettings(DatasetFormat.BrightrunLoraV4), sink, progress, CancellationToken.None);
        return new ValidationRun(outcome, sink.Issues, progress.Reports);
    }

    /// <summary>Lines joined with LF and a final LF, as most tools write JSONL.</summary>
    public static string Jsonl(params string[] lines) => string.Concat(lines.Select(line => line + "\n"));

    public const string ValidLine = """{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}""";
}

internal sealed record ValidationRun(
    ValidationOutcome Outcome,
    IReadOnlyList<ValidationIssue> SinkErrors,
    IReadOnlyList<ValidationProgress> Progress);

internal sealed class CollectingSink : IValidationErrorSink
{
    private readonly List<ValidationIssue> _issues = [];

    public IReadOnlyList<ValidationIssue> Issues => _issues;

    public ValueTask WriteAsync(ValidationIssue issue, CancellationToken ct)
    {
        _issues.Add(issue);
        return ValueTask.CompletedTask;
    }
}

/// <summary>Records synchronously: Progress&lt;T&gt; would post to the thread pool and race the assertions.</summary>
internal sealed class RecordingProgress : IProgress<ValidationProgress>
{
    private readonly List<ValidationProgress> _reports = [];

    public IReadOnlyList<ValidationProgress> Reports => _reports;

    public void Report(ValidationProgress value) => _reports.Add(value);
}
