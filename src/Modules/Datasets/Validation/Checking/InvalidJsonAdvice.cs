using System.Text;
using System.Text.Json;

namespace LoraPipeline.Datasets.Validation;

/// <summary>Turns a JSON parser failure into a message that says what was seen where, and a likely fix.</summary>
internal static class InvalidJsonAdvice
{
    private const int ExcerptBytesBefore = 12;
    private const int ExcerptBytesAfter = 20;

    public static (string Message, string Suggestion) Describe(ReadOnlySpan<byte> line, JsonException exception)
    {
        var position = (int)Math.Clamp(exception.BytePositionInLine ?? 0, 0, line.Length);
        var parserSaw = ParserMessage(exception);
        var message = $"Not valid JSON at byte column {position + 1}: {parserSaw} Text there: {Excerpt(line, position)}";
        return (message, Suggest(line, position, parserSaw));
    }

    private static string Suggest(ReadOnlySpan<byte> line, int position, string parserSaw)
    {
        var trimmed = line.TrimStart(" \t"u8);
        var rest = line[position..];
        if (line.Contains((byte)0))
        {
            return "The line contains NUL bytes: the file looks binary or UTF-16 encoded. Upload UTF-8 JSONL text.";
        }

        if (trimmed.Length > 0 && trimmed[0] != '{' && trimmed[0] != '[' && trimmed[0] != '"' && !IsNumberStart(trimmed[0]))
        {
            return "Each line must be one JSON object, for example {\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello!\"}]}. CSV, plain text and YAML are not accepted.";
        }

        if (rest.StartsWith("'"u8))
        {
            return "JSON strings and keys need double quotes (\"), not single quotes (as Python's str(dict) writes them); serialise with json.dumps.";
        }

        if (rest.StartsWith("True"u8) || rest.StartsWith("False"u8) || rest.StartsWith("None"u8) || rest.StartsWith("NaN"u8))
        {
            return "Use the JSON literals true, false and null (Python's True, False and None are not JSON); serialise with json.dumps.";
        }

        if (parserSaw.Contains("trailing comma", StringComparison.OrdinalIgnoreCase))
        {
            return "Remove the comma before the closing bracket or brace.";
        }

        if (parserSaw.Contains("Expected either ','", StringComparison.Ordinal))
        {
            return $"A comma is probably missing just before byte column {position + 1}, between two values or two \"key\": value pairs.";
        }

        if (parserSaw.Contains("within a JSON string", StringComparison.OrdinalIgnoreCase))
        {
            return "Control characters inside strings must be escaped: write a tab as \\t and a line break as \\n.";
        }

        if (parserSaw.Contains("after a single JSON value", StringComparison.OrdinalIgnoreCase))
        {
            return "Text follows the end of the object: put each example on a line of its own, with no comma or other text after it.";
        }

        if (position >= line.Length || parserSaw.Contains("depth to be zero", StringComparison.OrdinalIgnoreCase))
        {
            return "The object is not closed by the end of the line. Each example must be complete on a single line: pretty-printed JSON spread over several lines is not JSONL (re-serialise with `jq -c`), or the line was cut off.";
        }

        return $"Fix the JSON syntax near byte column {position + 1} (quotes, commas, brackets, escapes); `jq -c . file.jsonl` reports the same place.";
    }

    /// <summary>The parser's own words, without its "LineNumber: 0 | BytePositionInLine: n." suffix (lines are single).</summary>
    private static string ParserMessage(JsonException exception)
    {
        var text = exception.Message;
        var suffix = text.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (suffix >= 0 ? text[..suffix] : text).Trim();
    }

    /// <summary>A few characters around the position, quoted, with a ⟨here⟩ marker at the failing byte.</summary>
    private static string Excerpt(ReadOnlySpan<byte> line, int position)
    {
        var from = StartOfCharacter(line, Math.Max(0, position - ExcerptBytesBefore));
        var to = StartOfCharacter(line, Math.Min(line.Length, position + ExcerptBytesAfter));
        var at = StartOfCharacter(line, position);
        var before = Visible(Encoding.UTF8.GetString(line[from..at]));
        var after = Visible(Encoding.UTF8.GetString(line[at..to]));
        return $"`{(from > 0 ? "…" : "")}{before}⟨here⟩{after}{(to < line.Length ? "…" : "")}`";
    }

    /// <summary>Moves back to the first byte of a UTF-8 character so that the excerpt never cuts one in half.</summary>
    private static int StartOfCharacter(ReadOnlySpan<byte> line, int index)
    {
        while (index > 0 && index < line.Length && (line[index] & 0xC0) == 0x80)
        {
            index--;
        }

        return index;
    }

    private static string Visible(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsControl(c) ? $"\\u{(int)c:X4}" : c);
        }

        return builder.ToString();
    }

    private static bool IsNumberStart(byte b) => b is (byte)'-' or (>= (byte)'0' and <= (byte)'9');
}
