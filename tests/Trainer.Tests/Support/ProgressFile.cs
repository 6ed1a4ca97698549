using System.Diagnostics;
using System.Text.Json;

namespace LoraPipeline.Trainer.Tests.Support;

/// <summary>Reads a run's progress.jsonl, and waits for a line to appear in it (no fixed sleeps).</summary>
public static class ProgressFile
{
    public static List<JsonElement> Lines(string runFolder)
    {
        var path = Path.Combine(runFolder, "progress.jsonl");
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var lines = new List<JsonElement>();
        while (reader.ReadLine() is { } line)
        {
            if (line.EndsWith('}'))
            {
                lines.Add(JsonDocument.Parse(line).RootElement.Clone());
            }
        }

        return lines;
    }

    public static IEnumerable<JsonElement> OfType(string runFolder, string type) =>
        Lines(runFolder).Where(l => l.GetProperty("type").GetString() == type);

    /// <summary>Polls the file (it is flushed line by line) until a line matches, the process ends, or the timeout passes.</summary>
    public static JsonElement WaitFor(string runFolder, Func<JsonElement, bool> match, TrainerProcess process, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        using var changed = new ManualResetEventSlim();
        Directory.CreateDirectory(runFolder);
        using var watcher = new FileSystemWatcher(runFolder, "progress.jsonl") { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName };
        watcher.Changed += (_, _) => changed.Set();
        watcher.Created += (_, _) => changed.Set();
        watcher.EnableRaisingEvents = true;
        while (clock.Elapsed < timeout)
        {
            changed.Reset();
            var found = Lines(runFolder).FirstOrDefault(match);
            if (found.ValueKind == JsonValueKind.Object)
            {
                return found;
            }

            if (process.HasExited)
            {
                throw new InvalidOperationException($"lora-train exited before the line appeared; stdout: {process.Stdout} stderr: {process.Stderr}");
            }

            // woken by the watcher; the short cap only covers a missed notification
            changed.Wait(TimeSpan.FromMilliseconds(200));
        }

        throw new TimeoutException($"no matching line in {runFolder}/progress.jsonl within {timeout}");
    }
}
