using System.Text.Json.Serialization;

namespace LoraPipeline.Datasets.Validation;

/// <summary>One problem found in a dataset: an error (blocks training) or a warning (does not).</summary>
/// <param name="Line">1-based line number; 0 for a problem of the whole file (<c>empty_file</c>).</param>
/// <param name="Code">Stable snake_case type, one of <see cref="ErrorCodes"/> or <see cref="WarningCodes"/>.</param>
/// <param name="Message">What is wrong, with the values involved. Serialised as <c>error</c>, the contract's field name.</param>
/// <param name="Suggestion">How to fix it.</param>
public sealed record ValidationIssue(
    long Line,
    string Code,
    [property: JsonPropertyName("error")] string Message,
    string Suggestion);

/// <summary>Error types. Values are part of the API contract: never rename one.</summary>
internal static class ErrorCodes
{
    public const string InvalidUtf8 = "invalid_utf8";
    public const string NulCharacter = "nul_character";
    public const string InvalidJson = "invalid_json";
    public const string NotAnObject = "not_an_object";
    public const string MissingMessages = "missing_messages";
    public const string EmptyMessages = "empty_messages";
    public const string MessagesNotArray = "messages_not_array";
    public const string MessageNotObject = "message_not_object";
    public const string MissingRole = "missing_role";
    public const string MissingContent = "missing_content";
    public const string UnknownKey = "unknown_key";
    public const string DuplicateKey = "duplicate_key";
    public const string UnknownRole = "unknown_role";
    public const string ContentNotString = "content_not_string";
    public const string EmptyContent = "empty_content";
    public const string NoAssistantMessage = "no_assistant_message";
    public const string InvalidSplit = "invalid_split";
    public const string InvalidName = "invalid_name";
    public const string InvalidWeight = "invalid_weight";
    public const string MissingPrompt = "missing_prompt";
    public const string MissingCompletion = "missing_completion";
    public const string LineTooLong = "line_too_long";
    public const string EmptyFile = "empty_file";
    /// <summary>OpenAI's <c>tools</c>/<c>tool_calls</c>/<c>parallel_tool_calls</c>: function calling is not trained.</summary>
    public const string UnsupportedToolCalls = "unsupported_tool_calls";
}

/// <summary>Warning types. Values are part of the API contract: never rename one.</summary>
internal static class WarningCodes
{
    /// <summary>The example has more tokens than the maximum sequence length and will be truncated.</summary>
    public const string SequenceTooLong = "sequence_too_long";
    public const string NoSystemMessage = "no_system_message";
    public const string NoUserMessage = "no_user_message";
    public const string BlankLine = "blank_line";
}
