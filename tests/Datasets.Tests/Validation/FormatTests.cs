using LoraPipeline.Datasets.Validation;
using Xunit;
using static LoraPipeline.Datasets.Tests.Validation.ValidationTestKit;

namespace LoraPipeline.Datasets.Tests.Validation;

/// <summary>brightrun_lora_v3 ({prompt, completion}) and the format names.</summary>
public sealed class FormatTests
{
    private static readonly ValidationSettings V3 = new(DatasetFormat.BrightrunLoraV3);

    [Fact]
    public async Task A_prompt_completion_pair_counts_as_a_user_and_an_assistant_message()
    {
        const string first = """{"prompt": "What is the capital of France?", "completion": "Paris."}""";
        const string second = """{"prompt": "2+2?", "completion": "4", "split": "validation"}""";

        var run = await ValidateAsync(Jsonl(first, second), V3);

        var pair1 = 3 + Tokens("user") + Tokens("What is the capital of France?") + 3 + Tokens("assistant") + Tokens("Paris.") + 3;
        var pair2 = 3 + Tokens("user") + Tokens("2+2?") + 3 + Tokens("assistant") + Tokens("4") + 3;
        var stats = run.Outcome.Statistics;
        Assert.True(run.Outcome.IsValid);
        Assert.Equal(pair1 + pair2, stats.TotalTokens);
        Assert.Equal((1L, 1L), (stats.TotalTrainingPairs, stats.TotalValidationPairs));
        Assert.Equal(2.00m, stats.AvgTurnsPerConversation);
        Assert.Equal(Math.Max(Tokens("Paris."), Tokens("4")), stats.ValidationReport.AssistantTokensPerExample.Max);
        Assert.Equal(Math.Min(Tokens("Paris."), Tokens("4")), stats.ValidationReport.AssistantTokensPerExample.Min);
        Assert.Equal(2, stats.ValidationReport.ExamplesMissingSystem); // the format has no system message...
        Assert.Empty(run.Outcome.FirstWarnings);                      // ...so it is not warned about on every line
    }

    [Theory]
    [InlineData("""{"completion": "4"}""", "missing_prompt", "Add \"prompt\"")]
    [InlineData("""{"prompt": "2+2?"}""", "missing_completion", "Add \"completion\"")]
    [InlineData("""{"prompt": "2+2?", "completion": 4}""", "content_not_string", "as a string")]
    [InlineData("""{"prompt": "", "completion": "4"}""", "empty_content", "Write the prompt's text")]
    [InlineData("""{"prompt": "2+2?", "answer": "4", "completion": "4"}""", "unknown_key", "\"prompt\", \"completion\", \"split\"")]
    [InlineData("""{"input": "2+2?", "completion": "4"}""", "unknown_key", "Did you mean \"prompt\"?")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}]}""", "missing_prompt", "brightrun_lora_v4")]
    public async Task V3_errors(string line, string code, string suggestionPart)
    {
        var run = await ValidateAsync(Jsonl(line), V3);

        var error = run.SinkErrors[0];
        Assert.Equal((1L, code), (error.Line, error.Code));
        Assert.Contains(suggestionPart, error.Suggestion, StringComparison.Ordinal);
    }

    [Fact]
    public async Task V3_with_an_input_key_reports_both_the_unknown_key_and_the_missing_prompt()
    {
        var run = await ValidateAsync(Jsonl("""{"input": "2+2?", "completion": "4"}"""), V3);

        Assert.Equal(["unknown_key", "missing_prompt"], run.SinkErrors.Select(e => e.Code));
    }

    [Theory]
    [InlineData("brightrun_lora_v4", nameof(DatasetFormat.BrightrunLoraV4))]
    [InlineData("brightrun_lora_v3", nameof(DatasetFormat.BrightrunLoraV3))]
    [InlineData(null, nameof(DatasetFormat.BrightrunLoraV4))]
    public void Format_wire_names_round_trip(string? wireName, string formatName)
    {
        var format = Enum.Parse<DatasetFormat>(formatName); // the enum is internal: a public test cannot take it as a parameter

        Assert.Equal(format, DatasetFormats.Parse(wireName));
        Assert.Equal(wireName ?? "brightrun_lora_v4", format.ToWireName());
    }

    [Fact]
    public void An_unknown_format_name_is_refused_with_the_known_ones()
    {
        Assert.False(DatasetFormats.TryParse("brightrun_lora_v5", out _));
        var exception = Assert.Throws<FormatException>(() => DatasetFormats.Parse("BRIGHTRUN_LORA_V4"));
        Assert.Contains("brightrun_lora_v4 or brightrun_lora_v3", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 100, 1 << 20)]
    [InlineData(4096, -1, 1 << 20)]
    [InlineData(4096, 100, 0)]
    [InlineData(4096, 100, (64 << 20) + 1)]
    public async Task Nonsensical_settings_are_refused_before_anything_is_read(int maxSequenceLength, int maxIssuesKept, int maxLineBytes)
    {
        var settings = new ValidationSettings(DatasetFormat.BrightrunLoraV4, maxSequenceLength, maxIssuesKept, maxLineBytes);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ValidateAsync(Jsonl(ValidLine), settings));
    }

    [Fact]
    public void An_issue_serialises_with_the_contract_field_names()
    {
        var issue = new ValidationIssue(7, ErrorCodes.UnknownRole, "messages[0].role is \"bot\"", "Did you mean \"assistant\"?");
        var options = new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower };

        var json = System.Text.Json.JsonSerializer.Serialize(issue, options);

        Assert.Equal("""{"line":7,"code":"unknown_role","error":"messages[0].role is \u0022bot\u0022","suggestion":"Did you mean \u0022assistant\u0022?"}""", json);
        Assert.Equal(issue, System.Text.Json.JsonSerializer.Deserialize<ValidationIssue>(json, options));
    }
}
