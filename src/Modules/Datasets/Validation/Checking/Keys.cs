using System.Text.Json;

namespace LoraPipeline.Datasets.Validation;

/// <summary>Checks shared by the line formats: duplicate and unknown keys, and <c>split</c>.</summary>
internal static class Keys
{
    /// <summary>
    /// For a known key the reader is on: true, with the reader moved to the value, the first time; on a repeat
    /// (which JSON parsers resolve differently, usually by keeping the last) an error, with the value skipped.
    /// </summary>
    /// <param name="messageIndex">The message the key belongs to, or -1 for a top-level key.</param>
    public static bool FirstOccurrence(ref Utf8JsonReader reader, ref bool seen, string key, LineIssues issues, int messageIndex = -1)
    {
        if (seen)
        {
            issues.Add(ErrorCodes.DuplicateKey, $"Key \"{key}\" appears twice {Place(messageIndex)}.",
                $"Keep a single \"{key}\": parsers disagree on which of two values wins.");
            reader.Skip();
            return false;
        }

        seen = true;
        reader.Read();
        return true;
    }

    public static void ReportUnknown(string key, string[] allowed, LineIssues issues, int messageIndex = -1)
    {
        if (ToolKeys.Contains(key))
        {
            // OpenAI's chat format allows function calling; our trainer does not learn it, and dropping the
            // calls silently would train a model on conversations with holes in them.
            issues.Add(ErrorCodes.UnsupportedToolCalls, $"\"{key}\" {Place(messageIndex)}: function calling (tools) is not supported.",
                "Remove \"tools\", \"tool_calls\", \"parallel_tool_calls\" and tool messages from the example, or fold each tool's result into the next assistant message.");
            return;
        }

        issues.Add(ErrorCodes.UnknownKey, $"Unknown key \"{Suggestions.Shown(key)}\" {Place(messageIndex)}.", Suggestions.UnknownKey(key, allowed));
    }

    /// <summary>OpenAI's function-calling keys: refused with their own error rather than as misspellings.</summary>
    private static readonly HashSet<string> ToolKeys = ["tools", "tool_calls", "parallel_tool_calls", "functions", "function_call", "tool_call_id"];

    /// <summary>Where a key is, for messages; built only when there is something to report.</summary>
    private static string Place(int messageIndex) => messageIndex < 0 ? "at the top level" : $"in messages[{messageIndex}]";

    /// <summary>The reader is on the value of <c>split</c>.</summary>
    public static ExampleSplit ReadSplit(ref Utf8JsonReader reader, LineIssues issues)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            if (reader.ValueTextEquals("train"u8))
            {
                return ExampleSplit.Train;
            }

            if (reader.ValueTextEquals("validation"u8))
            {
                return ExampleSplit.Validation;
            }

            var value = reader.GetString()!;
            issues.Add(ErrorCodes.InvalidSplit, $"\"split\" is \"{Suggestions.Shown(value)}\", which is not a split.", Suggestions.InvalidSplit(value));
            return ExampleSplit.Unspecified;
        }

        issues.Add(ErrorCodes.InvalidSplit, $"\"split\" is {JsonKinds.Describe(reader.TokenType)}, not a string.", Suggestions.InvalidSplit(null));
        reader.Skip();
        return ExampleSplit.Unspecified;
    }
}
