using System.Text.Json;
using System.Text.Json.Nodes;
using LoraPipeline.Trainer.Checkpoints;

namespace LoraPipeline.Trainer.Cli;

/// <summary>
/// The platform's cluster submit request as the Slurm gateway writes it into a job folder
/// (<c>job.json</c>, snake_case): job_id, dataset_url, hyperparameters {base_model, learning_rate,
/// batch_size, num_epochs, lora_rank, lora_alpha, lora_dropout, warmup_steps?, weight_decay?},
/// gpu_config, callback_url, and the gateway's optional base_model_path, dataset_format, seed,
/// max_seq_len, target_modules, checkpoint_every, keep_checkpoints, device (read at the top level or
/// inside hyperparameters). Unknown fields are ignored.
/// </summary>
internal sealed class JobFile
{
    private readonly JsonObject _root;
    private readonly JsonObject _hyperparameters;

    private JobFile(string path, JsonObject root)
    {
        Path = path;
        _root = root;
        _hyperparameters = root["hyperparameters"] as JsonObject ?? new JsonObject();
    }

    public string Path { get; }

    public static JobFile Load(string directory)
    {
        var path = System.IO.Path.Combine(directory, "job.json");
        if (!File.Exists(path))
        {
            throw new TrainerInputException($"{path}: not found; a job folder holds job.json and dataset.jsonl");
        }

        try
        {
            return new JobFile(path, JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new TrainerInputException($"{path}: not a JSON object"));
        }
        catch (JsonException e)
        {
            throw new TrainerInputException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    public string? Text(string key) => Node(key) switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        null => null,
        var other => throw Wrong(key, other, "a string"),
    };

    public double? Number(string key) => Node(key) switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
        null => null,
        var other => throw Wrong(key, other, "a number"),
    };

    public int? Int(string key) => Number(key) is { } d
        ? d == Math.Floor(d) ? (int)d : throw new TrainerInputException($"{Path}: {key} is {d}, not an integer")
        : null;

    /// <summary>target_modules: a list of names or the string "all-linear".</summary>
    public IReadOnlyList<string>? Strings(string key) => Node(key) switch
    {
        JsonArray a => a.Select(x => x?.GetValue<string>() ?? throw Wrong(key, x, "a list of strings")).ToList(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
        null => null,
        var other => throw Wrong(key, other, "a list of strings or \"all-linear\""),
    };

    /// <summary>A field at the top level, else inside hyperparameters; JSON null counts as absent.</summary>
    private JsonNode? Node(string key)
    {
        var node = _root[key] ?? _hyperparameters[key];
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Null ? null : node;
    }

    private TrainerInputException Wrong(string key, JsonNode? value, string expected) =>
        new($"{Path}: {key} is {value?.ToJsonString() ?? "null"}, expected {expected}");
}
