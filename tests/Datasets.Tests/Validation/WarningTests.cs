using LoraPipeline.Datasets.Validation;
using Xunit;
using static LoraPipeline.Datasets.Tests.Validation.ValidationTestKit;

namespace LoraPipeline.Datasets.Tests.Validation;

/// <summary>Warnings: kept and counted like errors, but they do not block training.</summary>
public sealed class WarningTests
{
    private const string NoSystem = """{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}""";
    private const string NoUser = """{"messages":[{"role":"system","content":"Write a haiku."},{"role":"assistant","content":"Old pond, frog jumps in"}]}""";

    [Fact]
    public async Task Missing_system_and_user_messages_are_warnings_on_their_lines()
    {
        var run = await ValidateAsync(Jsonl(ValidLine, NoSystem, NoUser));

        Assert.True(run.Outcome.IsValid);
        Assert.Equal([(2L, WarningCodes.NoSystemMessage), (3L, WarningCodes.NoUserMessage)],
            run.Outcome.FirstWarnings.Select(w => (w.Line, w.Code)));
        Assert.Empty(run.SinkErrors); // the sink is for errors
        Assert.Equal(2, run.Outcome.TotalWarnings);
        Assert.Equal(1, run.Outcome.Statistics.ValidationReport.ExamplesMissingSystem);
        Assert.Equal(1, run.Outcome.Statistics.ValidationReport.ExamplesMissingUser);
    }

    [Fact]
    public async Task An_example_over_the_maximum_length_is_a_warning_with_the_numbers()
    {
        var tokens = 3 + Tokens("system") + Tokens("Be brief.") + 3 + Tokens("user") + Tokens("Hi") + 3 + Tokens("assistant") + Tokens("Hello!") + 3;
        var max = tokens - 5;

        var run = await ValidateAsync(Jsonl(ValidLine), new ValidationSettings(DatasetFormat.BrightrunLoraV4, MaxSequenceLength: max));

        var warning = Assert.Single(run.Outcome.FirstWarnings);
        Assert.Equal(WarningCodes.SequenceTooLong, warning.Code);
        Assert.Contains($"{tokens} tokens, more than the maximum sequence length of {max}", warning.Message, StringComparison.Ordinal);
        Assert.Contains($"truncate it to {max} tokens (5 tokens dropped", warning.Message, StringComparison.Ordinal);
        Assert.True(run.Outcome.IsValid);
    }

    [Fact]
    public async Task Only_the_first_warnings_are_kept_but_all_are_counted()
    {
        var lines = Enumerable.Repeat(NoSystem, 250).ToArray();

        var run = await ValidateAsync(Jsonl(lines), new ValidationSettings(DatasetFormat.BrightrunLoraV4, MaxIssuesKept: 100));

        Assert.Equal(100, run.Outcome.FirstWarnings.Count);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), run.Outcome.FirstWarnings.Select(w => w.Line));
        Assert.Equal(250, run.Outcome.TotalWarnings);
        Assert.Equal(250, run.Outcome.WarningCountsByCode[WarningCodes.NoSystemMessage]);
    }

    [Fact]
    public async Task Invalid_examples_get_errors_not_warnings()
    {
        var run = await ValidateAsync(Jsonl("""{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":""}]}"""));

        Assert.Equal(ErrorCodes.EmptyContent, Assert.Single(run.SinkErrors).Code);
        Assert.Empty(run.Outcome.FirstWarnings);
    }
}
