using LoraPipeline.Datasets.Validation;
using Xunit;
using static LoraPipeline.Datasets.Tests.Validation.ValidationTestKit;

namespace LoraPipeline.Datasets.Tests.Validation;

/// <summary>A clean file's statistics, checked against counts worked out here from the formula.</summary>
public sealed class CleanFileStatisticsTests
{
    private const string Terse = """{"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"What is 2+2?"},{"role":"assistant","content":"4"}]}""";
    private const string Named = """{"messages":[{"role":"user","content":"Name a colour.","name":"alice"},{"role":"assistant","content":"Blue, like the sky."}],"split":"validation"}""";
    private const string French = """{"messages":[{"role":"system","content":"Translate to French."},{"role":"user","content":"Good morning"},{"role":"assistant","content":"Bonjour"},{"role":"user","content":"Thank you"},{"role":"assistant","content":"Merci","weight":1}],"split":"train"}""";

    // Each message: 3 + tokens(role) + tokens(content) [+ tokens(name) + 1]; each example: + 3 for the reply priming.
    private static int Message(string role, string content) => 3 + Tokens(role) + Tokens(content);

    private static readonly int TerseTokens = Message("system", "You are terse.") + Message("user", "What is 2+2?") + Message("assistant", "4") + 3;
    private static readonly int NamedTokens = Message("user", "Name a colour.") + Tokens("alice") + 1 + Message("assistant", "Blue, like the sky.") + 3;
    private static readonly int FrenchTokens = Message("system", "Translate to French.") + Message("user", "Good morning")
        + Message("assistant", "Bonjour") + Message("user", "Thank you") + Message("assistant", "Merci") + 3;

    [Fact]
    public void The_tokenizer_is_cl100k()
    {
        // Known cl100k_base counts: if these change, every expectation below is computed with the wrong encoding.
        Assert.Equal(2, Tokens("Hello world"));
        Assert.Equal(1, Tokens("assistant"));
    }

    [Fact]
    public async Task A_clean_file_is_valid_and_its_figures_match_a_count_by_hand()
    {
        var run = await ValidateAsync(Jsonl(Terse, Named, French));
        var outcome = run.Outcome;
        var stats = outcome.Statistics;
        var report = stats.ValidationReport;

        Assert.True(outcome.IsValid);
        Assert.Empty(run.SinkErrors);
        Assert.Equal(2, stats.TotalTrainingPairs);   // no split + "train"
        Assert.Equal(1, stats.TotalValidationPairs);
        Assert.Equal(TerseTokens + NamedTokens + FrenchTokens, stats.TotalTokens);
        Assert.Equal(3.33m, stats.AvgTurnsPerConversation); // (3 + 2 + 5) / 3
        Assert.Equal(Math.Round((TerseTokens + NamedTokens + FrenchTokens) / 10m, 2), stats.AvgTokensPerTurn);
        Assert.Equal([Terse, Named, French], stats.SampleData);

        Assert.Equal(3, report.ExampleCount);
        Assert.Equal(1, report.ExamplesMissingSystem);
        Assert.Equal(0, report.ExamplesMissingUser);
        Assert.Equal(new ValueDistribution(Min: 2, Max: 5, Mean: 3.33m, Median: 3, P10: 2, P90: 5), report.MessagesPerExample);

        int[] sorted = [TerseTokens, NamedTokens, FrenchTokens];
        Array.Sort(sorted);
        // Nearest rank over 3 values: p10 -> rank 1, median -> rank 2, p90 -> rank 3.
        Assert.Equal(new ValueDistribution(sorted[0], sorted[2], Math.Round(sorted.Sum() / 3m, 2), sorted[1], sorted[0], sorted[2]), report.TokensPerExample);

        int[] assistant = [Tokens("4"), Tokens("Blue, like the sky."), Tokens("Bonjour") + Tokens("Merci")];
        Assert.Equal(Math.Round(assistant.Sum() / 3m, 2), report.AssistantTokensPerExample.Mean);
        Assert.Equal(assistant.Min(), report.AssistantTokensPerExample.Min);
        Assert.Equal(assistant.Max(), report.AssistantTokensPerExample.Max);

        Assert.Equal(0, report.ExamplesOverMaxLength);
        Assert.Equal(stats.TotalTokens, report.BillableTokens);
        Assert.Equal(4096, report.MaxSequenceLength);
    }

    [Fact]
    public async Task Examples_over_the_maximum_length_are_billed_at_the_maximum()
    {
        var max = Math.Min(TerseTokens, Math.Min(NamedTokens, FrenchTokens)) + 1;
        var run = await ValidateAsync(Jsonl(Terse, Named, French), new ValidationSettings(DatasetFormat.BrightrunLoraV4, MaxSequenceLength: max));
        var report = run.Outcome.Statistics.ValidationReport;

        var expectedOver = new[] { TerseTokens, NamedTokens, FrenchTokens }.Count(t => t > max);
        Assert.Equal(2, expectedOver);
        Assert.Equal(expectedOver, report.ExamplesOverMaxLength);
        Assert.Equal(new[] { TerseTokens, NamedTokens, FrenchTokens }.Sum(t => Math.Min(t, max)), report.BillableTokens);
        Assert.Equal(TerseTokens + NamedTokens + FrenchTokens, run.Outcome.Statistics.TotalTokens);
        Assert.True(run.Outcome.IsValid); // too long is a warning, not an error
    }

    [Fact]
    public async Task Statistics_count_valid_examples_only()
    {
        var run = await ValidateAsync(Jsonl(Terse, """{"messages":[{"role":"bot","content":"x"}]}""", "not json", Named));

        Assert.False(run.Outcome.IsValid);
        Assert.Equal(2, run.Outcome.Statistics.ValidationReport.ExampleCount);
        Assert.Equal(TerseTokens + NamedTokens, run.Outcome.Statistics.TotalTokens);
        Assert.Equal([Terse, Named], run.Outcome.Statistics.SampleData);
    }

    [Fact]
    public async Task Escaped_and_non_ascii_text_is_counted_as_the_decoded_string()
    {
        const string content = "Caf\u00e9 \"quoted\"\nnew line \ud83d\ude00";
        var line = """{"messages":[{"role":"user","content":"Caf\u00e9 \"quoted\"\nnew line \ud83d\ude00"},{"role":"assistant","content":"ok"}]}""";
        var run = await ValidateAsync(Jsonl(line));

        Assert.True(run.Outcome.IsValid);
        Assert.Equal(Message("user", content) + Message("assistant", "ok") + 3, run.Outcome.Statistics.TotalTokens);
    }

    [Fact]
    public async Task Bytes_lines_and_progress_cover_the_whole_file()
    {
        var file = Jsonl(Terse, "", Named, French);
        var run = await ValidateAsync(file);

        var length = System.Text.Encoding.UTF8.GetByteCount(file);
        Assert.Equal(length, run.Outcome.BytesRead);
        Assert.Equal(4, run.Outcome.LinesRead);
        Assert.NotEmpty(run.Progress);
        Assert.Equal(new ValidationProgress(length, length, 4), run.Progress[^1]);
        Assert.Equal(1.0, run.Progress[^1].Fraction);
    }
}
