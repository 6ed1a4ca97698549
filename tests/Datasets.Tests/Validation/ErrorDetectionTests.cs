using LoraPipeline.Datasets.Validation;
using Xunit;
using static LoraPipeline.Datasets.Tests.Validation.ValidationTestKit;

namespace LoraPipeline.Datasets.Tests.Validation;

/// <summary>Each error type, found on the right line, alone, with a suggestion that helps.</summary>
public sealed class ErrorDetectionTests
{
    [Theory]
    // Not JSON, not an object
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}""", "invalid_json", "single line")]
    [InlineData("""{'messages': []}""", "invalid_json", "double quotes")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"},]}""", "invalid_json", "Remove the comma")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi", "weight": True}]}""", "invalid_json", "true, false and null")]
    [InlineData("""{"messages": []} {"messages": []}""", "invalid_json", "line of its own")]
    [InlineData("user: hi", "invalid_json", "one JSON object")]
    [InlineData("""[{"messages": []}]""", "not_an_object", "jq -c '.[]'")]
    [InlineData("\"just a string\"", "not_an_object", "{\"messages\": [...]}")]
    // The messages array
    [InlineData("""{"split": "train"}""", "missing_messages", "\"messages\" array")]
    [InlineData("""{"prompt": "2+2?", "completion": "4"}""", "missing_messages", "brightrun_lora_v3")]
    [InlineData("""{"messages": []}""", "empty_messages", "at least one user message")]
    [InlineData("""{"messages": "hello"}""", "messages_not_array", "array of message objects")]
    [InlineData("""{"messages": ["hello", {"role": "assistant", "content": "x"}]}""", "message_not_object", "{\"role\": \"user\"")]
    // Messages
    [InlineData("""{"messages": [{"content": "hi"}, {"role": "assistant", "content": "x"}]}""", "missing_role", "\"system\", \"user\", \"assistant\"")]
    [InlineData("""{"messages": [{"role": "user"}, {"role": "assistant", "content": "x"}]}""", "missing_content", "Add \"content\"")]
    [InlineData("""{"messages": [{"role": "bot", "content": "hi"}]}""", "unknown_role", "Did you mean \"assistant\"?")]
    [InlineData("""{"messages": [{"role": "model", "content": "hi"}]}""", "unknown_role", "Did you mean \"assistant\"?")]
    [InlineData("""{"messages": [{"role": "human", "content": "hi"}, {"role": "assistant", "content": "x"}]}""", "unknown_role", "Did you mean \"user\"?")]
    [InlineData("""{"messages": [{"role": "System", "content": "hi"}, {"role": "assistant", "content": "x"}]}""", "unknown_role", "Roles are lower-case")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}, {"role": "asistant", "content": "x"}]}""", "unknown_role", "Did you mean \"assistant\"?")]
    [InlineData("""{"messages": [{"role": "tool", "content": "42"}, {"role": "assistant", "content": "x"}]}""", "unknown_role", "not supported")]
    [InlineData("""{"messages": [{"role": 1, "content": "hi"}, {"role": "assistant", "content": "x"}]}""", "unknown_role", "\"system\", \"user\", \"assistant\"")]
    [InlineData("""{"messages": [{"role": "user", "content": 42}, {"role": "assistant", "content": "x"}]}""", "content_not_string", "numbers in quotes")]
    [InlineData("""{"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}, {"role": "assistant", "content": "x"}]}""", "content_not_string", "join the text")]
    [InlineData("""{"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "x"}]}""", "empty_content", "Write the message's text")]
    [InlineData("""{"messages": [{"role": "user", "content": "  \n "}, {"role": "assistant", "content": "x"}]}""", "empty_content", "Write the message's text")]
    [InlineData("""{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}]}""", "no_assistant_message", "\"role\": \"assistant\"")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi", "name": 7}, {"role": "assistant", "content": "x"}]}""", "invalid_name", "as a string")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x", "weight": "1"}]}""", "invalid_weight", "from 0 to 1")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x", "weight": 2.5}]}""", "invalid_weight", "from 0 to 1")]
    // Keys and split
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}], "splitt": "train"}""", "unknown_key", "Did you mean \"split\"?")]
    [InlineData("""{"messages": [{"role": "user", "contnet": "hi", "content": "hi"}, {"role": "assistant", "content": "x"}]}""", "unknown_key", "Did you mean \"content\"?")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi", "lang": "en"}, {"role": "assistant", "content": "x"}]}""", "unknown_key", "\"role\", \"content\", \"name\", \"weight\"")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}], "split": "val"}""", "invalid_split", "Did you mean \"validation\"?")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}], "split": 1}""", "invalid_split", "\"train\" or \"validation\"")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi", "content": "again"}, {"role": "assistant", "content": "x"}]}""", "duplicate_key", "single \"content\"")]
    // OpenAI's function calling: its own error, never taken for a misspelt key nor dropped
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}], "tools": []}""", "unsupported_tool_calls", "Remove \"tools\"")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}], "parallel_tool_calls": false}""", "unsupported_tool_calls", "Remove \"tools\"")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x", "tool_calls": []}]}""", "unsupported_tool_calls", "fold each tool's result")]
    public async Task An_error_is_reported_on_its_line_with_a_suggestion(string badLine, string code, string suggestionPart)
    {
        var run = await ValidateAsync(Jsonl(ValidLine, badLine, ValidLine));

        var error = Assert.Single(run.SinkErrors);
        Assert.Equal(2, error.Line);
        Assert.Equal(code, error.Code);
        Assert.Contains(suggestionPart, error.Suggestion, StringComparison.Ordinal);
        Assert.False(run.Outcome.IsValid);
        Assert.Equal(new Dictionary<string, long> { [code] = 1 }, run.Outcome.ErrorCountsByCode);
        Assert.Equal(2, run.Outcome.Statistics.ValidationReport.ExampleCount); // the two good lines still count
    }

    [Fact]
    public async Task Invalid_json_says_what_the_parser_saw_and_where()
    {
        var run = await ValidateAsync(Jsonl("""{"messages": [{"role": "user" "content": "hi"}]}"""));

        var error = Assert.Single(run.SinkErrors);
        Assert.Equal(ErrorCodes.InvalidJson, error.Code);
        // The missing comma is detected at the quote opening "content" (0-based byte 30, column 31).
        Assert.Contains("byte column 31", error.Message, StringComparison.Ordinal);
        Assert.Contains("'\"' is invalid after a value", error.Message, StringComparison.Ordinal);
        Assert.Contains("⟨here⟩\"content\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("comma is probably missing just before byte column 31", error.Suggestion, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_problem_of_a_line_is_reported_not_only_the_first()
    {
        var run = await ValidateAsync(Jsonl("""{"messages": [{"role": "bot", "content": ""}, {"text": "x"}], "split": "dev"}"""));

        Assert.Equal(
            ["unknown_role", "empty_content", "unknown_key", "missing_role", "missing_content", "invalid_split"],
            run.SinkErrors.Select(e => e.Code));
        Assert.All(run.SinkErrors, e => Assert.Equal(1, e.Line));
        Assert.Contains("messages[1]", run.SinkErrors[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_shared_gpt_line_gets_conversion_advice()
    {
        var run = await ValidateAsync(Jsonl("""{"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "hello"}]}"""));

        Assert.Equal(["unknown_key", "missing_messages"], run.SinkErrors.Select(e => e.Code));
        Assert.Contains("Did you mean \"messages\"?", run.SinkErrors[0].Suggestion, StringComparison.Ordinal);
        Assert.Contains("ShareGPT", run.SinkErrors[0].Suggestion, StringComparison.Ordinal);
    }
}
