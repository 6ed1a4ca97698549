using System.Globalization;
using System.Text.Json;
using LoraPipeline.SlurmGateway.Api;

namespace LoraPipeline.SlurmGateway.Jobs;

/// <summary>
/// What the trainer wrote in a job folder: progress.jsonl (the last line of each step wins, as a resumed run
/// writes the steps after its checkpoint again; a line cut by a kill is skipped; unknown types are ignored)
/// and the checkpoints it keeps under checkpoints/step-N.
/// </summary>
internal sealed class TrainerProgress
{
    private readonly SortedDictionary<int, MetricPoint> _points = new();

    public int TotalSteps { get; private set; }
    public int LastStep { get; private set; }
    public int Epoch { get; private set; }
    public double? EtaSeconds { get; private set; }
    public string? FailedError { get; private set; }
    public bool Completed { get; private set; }
    public DateTimeOffset? LastTimestamp { get; private set; }

    /// <summary>The time of the last step line, to tell whether the current attempt has begun training.</summary>
    public DateTimeOffset? LastStepAt { get; private set; }

    public IReadOnlyList<CheckpointInfo> Checkpoints { get; private set; } = [];

    public IEnumerable<MetricPoint> Points => _points.Values;

    public static TrainerProgress Read(string folder)
    {
        var progress = new TrainerProgress();
        var file = Path.Combine(folder, "progress.jsonl");
        if (File.Exists(file))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                progress.Take(line);
            }
        }

        progress.Checkpoints = ReadCheckpoints(folder);
        return progress;
    }

    private void Take(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        JsonElement e;
        try
        {
            e = JsonDocument.Parse(line).RootElement;
        }
        catch (JsonException)
        {
            return; // cut by a kill mid-write
        }

        var timestamp = Time(e, "timestamp") ?? DateTimeOffset.UnixEpoch;
        LastTimestamp = timestamp;
        TotalSteps = Int(e, "total_steps") ?? TotalSteps;
        switch (Text(e, "type"))
        {
            case "started" or "resumed":
                FailedError = null;
                Completed = false;
                LastStep = Int(e, "step") ?? LastStep;
                break;
            case "step" when Int(e, "step") is { } step:
                LastStep = step;
                Epoch = Int(e, "epoch") ?? Epoch;
                EtaSeconds = Number(e, "eta_seconds");
                LastStepAt = timestamp;
                _points[step] = new MetricPoint
                {
                    Step = step,
                    Epoch = Epoch,
                    TrainingLoss = Number(e, "training_loss") ?? 0,
                    LearningRate = Number(e, "learning_rate") ?? 0,
                    GradientNorm = Number(e, "gradient_norm") ?? 0,
                    Throughput = Number(e, "tokens_per_second") ?? 0,
                    Timestamp = timestamp,
                };
                break;
            case "epoch_end" when Int(e, "step") is { } step && _points.TryGetValue(step, out var point):
                _points[step] = point with { ValidationLoss = Number(e, "validation_loss") };
                break;
            case "completed":
                Completed = true;
                LastStep = Int(e, "step") ?? LastStep;
                Epoch = Int(e, "epoch") ?? Epoch;
                break;
            case "failed":
                FailedError = Text(e, "error");
                break;
        }
    }

    private static List<CheckpointInfo> ReadCheckpoints(string folder)
    {
        var root = Path.Combine(folder, "checkpoints");
        if (!Directory.Exists(root))
        {
            return [];
        }

        var list = new List<CheckpointInfo>();
        foreach (var dir in Directory.EnumerateDirectories(root, "step-*"))
        {
            var meta = Path.Combine(dir, "checkpoint.json");
            // checkpoint.json is written last: a folder without it is a checkpoint being written
            if (!int.TryParse(Path.GetFileName(dir)[5..], NumberStyles.None, CultureInfo.InvariantCulture, out var step) || !File.Exists(meta)
                || !JobFolders.CheckpointFiles.All(f => File.Exists(Path.Combine(dir, f))))
            {
                continue;
            }

            try
            {
                var e = JsonDocument.Parse(File.ReadAllBytes(meta)).RootElement;
                list.Add(new CheckpointInfo(step, Int(e, "epoch") ?? 0, Time(e, "timestamp") ?? File.GetLastWriteTimeUtc(meta),
                    Number(e, "training_loss") ?? 0, Number(e, "validation_loss"), JobFolders.CheckpointFiles));
            }
            catch (Exception ex) when (ex is JsonException or IOException)
            {
            }
        }

        return list.OrderBy(c => c.Step).ToList();
    }

    private static JsonElement? Field(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static string? Text(JsonElement e, string name) => Field(e, name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    private static double? Number(JsonElement e, string name) => Field(e, name) is { ValueKind: JsonValueKind.Number } v ? v.GetDouble() : null;

    private static int? Int(JsonElement e, string name) => Number(e, name) is { } d ? (int)d : null;

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        Text(e, name) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
}
