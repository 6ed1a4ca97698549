using System.Runtime.CompilerServices;
using System.Text;

namespace LoraPipeline.Cli.Follow;

/// <summary>One dispatched server-sent event. <see cref="Id"/> is the last event id seen so far (it carries over, as the spec says).</summary>
public sealed record ServerSentEvent(string Type, string Data, string? Id, int? RetryMilliseconds);

/// <summary>
/// The <c>text/event-stream</c> format as the HTML standard defines it: lines end in LF, CR or CRLF;
/// a line starting with ':' is a comment (keep-alive); <c>field: value</c> loses one space after the
/// colon; <c>data</c> lines are joined with LF; <c>id</c> (without NUL) is remembered across events
/// and is what a reconnect sends as Last-Event-ID; <c>retry</c> takes digits only; a blank line
/// dispatches; an event cut off by the end of the stream is dropped, never half-delivered.
/// </summary>
public static class ServerSentEventReader
{
    public static async IAsyncEnumerable<ServerSentEvent> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken ct)
    {
        using var reader = new StreamReader(stream, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false);
        var data = new StringBuilder();
        var hasData = false;
        string? type = null;
        string? lastId = null;
        int? retry = null;
        var first = true;

        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (first)
            {
                first = false;
                if (line.Length > 0 && line[0] == '\uFEFF')
                {
                    line = line[1..]; // one leading BOM is allowed and ignored
                }
            }

            if (line.Length == 0)
            {
                if (hasData)
                {
                    yield return new ServerSentEvent(string.IsNullOrEmpty(type) ? "message" : type, data.ToString(), lastId, retry);
                }

                data.Clear();
                hasData = false;
                type = null;
                retry = null;
                continue;
            }

            if (line[0] == ':')
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "event":
                    type = value;
                    break;
                case "data":
                    if (hasData)
                    {
                        data.Append('\n');
                    }

                    data.Append(value);
                    hasData = true;
                    break;
                case "id" when !value.Contains('\0', StringComparison.Ordinal):
                    lastId = value;
                    break;
                case "retry" when value.Length > 0 && value.All(char.IsAsciiDigit) && int.TryParse(value, out var ms):
                    retry = ms;
                    break;
                default:
                    break; // unknown fields are ignored
            }
        }
    }
}
