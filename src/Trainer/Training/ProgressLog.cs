using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LoraPipeline.Trainer.Training;

/// <summary>
/// <c>progress.jsonl</c>: one JSON object per line, each flushed as soon as it is written so that a
/// reader can tail the file. Lines carry a "type" (started, resumed, step, epoch_end, checkpoint,
/// completed, interrupted, failed) and an ISO-8601 UTC "timestamp". After a resume the file is appended
/// to, so steps after the checkpoint appear again: readers take the last line per step.
/// </summary>
public sealed class ProgressLog : IDisposable
{
    public const string FileName = "progress.jsonl";
    private readonly FileStream _stream;

    public ProgressLog(string directory)
    {
        Path = System.IO.Path.Combine(directory, FileName);
        _stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
    }

    public string Path { get; }

    public void Write(string type, Action<Utf8JsonWriter> fields)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            fields(writer);
            writer.WriteString("timestamp", DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        _stream.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        _stream.Flush(flushToDisk: false);
    }

    public void Dispose() => _stream.Dispose();

    /// <summary>Every line of a progress file as a JSON document (the caller disposes them).</summary>
    public static List<JsonDocument> ReadAll(string directory)
    {
        var path = System.IO.Path.Combine(directory, FileName);
        var lines = new List<JsonDocument>();
        if (!File.Exists(path))
        {
            return lines;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                lines.Add(JsonDocument.Parse(line));
            }
            catch (JsonException)
            {
                // a line cut by a kill mid-write: skipped, the step is written again after the resume
            }
        }

        return lines;
    }
}
