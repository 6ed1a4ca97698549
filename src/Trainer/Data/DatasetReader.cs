using System.Text;
using System.Text.Json;

namespace LoraPipeline.Trainer.Data;

/// <summary>The platform's dataset formats (see src/Modules/Datasets/Validation/Checking).</summary>
public enum DatasetFormat
{
    /// <summary>Decide per line: "messages" is brightrun_lora_v4, "prompt"/"completion" is brightrun_lora_v3.</summary>
    Auto,

    /// <summary><c>{"messages":[{"role","content","name"?,"weight"?}],"split"?}</c></summary>
    BrightrunLoraV4,

    /// <summary><c>{"prompt","completion","split"?}</c>, trained as a user turn and the assistant's reply.</summary>
    BrightrunLoraV3,
}

/// <summary>
/// Reads a JSONL dataset in the platform's formats. No split means train; "validation" lines are held
/// out for the loss at each epoch's end. Any malformed line stops the run with the file and line number.
/// </summary>
public static class DatasetReader
{
    public static DatasetFormat ParseFormat(string? name) => name switch
    {
        null or "" or "auto" => DatasetFormat.Auto,
        "brightrun_lora_v4" => DatasetFormat.BrightrunLoraV4,
        "brightrun_lora_v3" => DatasetFormat.BrightrunLoraV3,
        _ => throw new Checkpoints.TrainerInputException($"dataset format {name} is unknown (brightrun_lora_v4, brightrun_lora_v3 or auto)"),
    };

    /// <summary>The platform's name of a format (as job.json's dataset_format spells it).</summary>
    public static string Name(DatasetFormat format) => format switch
    {
        DatasetFormat.BrightrunLoraV4 => "brightrun_lora_v4",
        DatasetFormat.BrightrunLoraV3 => "brightrun_lora_v3",
        _ => "auto",
    };

    public static List<ChatExample> Read(string path, DatasetFormat format)
    {
        if (!File.Exists(path))
        {
            throw new Checkpoints.TrainerInputException($"{path}: dataset not found");
        }

        var examples = new List<ChatExample>();
        var decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        using var reader = new StreamReader(path, decoder, detectEncodingFromByteOrderMarks: true);
        var number = 0;
        try
        {
            while (reader.ReadLine() is { } line)
            {
                number++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                examples.Add(ParseLine(path, number, line, format));
            }
        }
        catch (DecoderFallbackException)
        {
            throw new Checkpoints.TrainerInputException($"{path}:{number + 1}: not UTF-8 text; the dataset must be JSON lines");
        }

        if (examples.Count == 0)
        {
            throw new Checkpoints.TrainerInputException($"{path}: the dataset has no examples");
        }

        return examples;
    }

    public static ChatExample ParseLine(string path, int number, string line, DatasetFormat format)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw Error($"not valid JSON ({e.Message})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Error("not a JSON object");
            }

            var validation = ReadSplit(root);
            var isChat = root.TryGetProperty("messages", out var messages);
            var lineFormat = format == DatasetFormat.Auto
                ? isChat ? DatasetFormat.BrightrunLoraV4 : DatasetFormat.BrightrunLoraV3
                : format;
            return lineFormat == DatasetFormat.BrightrunLoraV4
                ? new ChatExample(ReadMessages(isChat ? messages : default), validation, number)
                : new ChatExample(ReadPromptCompletion(root), validation, number);
        }

        bool ReadSplit(JsonElement root)
        {
            if (!root.TryGetProperty("split", out var split) || split.ValueKind == JsonValueKind.Null)
            {
                return false;
            }

            return split.GetString() switch
            {
                "train" => false,
                "validation" => true,
                var other => throw Error($"\"split\" is \"{other}\"; use \"train\" or \"validation\""),
            };
        }

        List<ChatMessage> ReadMessages(JsonElement messages)
        {
            if (messages.ValueKind != JsonValueKind.Array)
            {
                throw Error("brightrun_lora_v4 lines need a \"messages\" array");
            }

            var list = new List<ChatMessage>();
            var index = 0;
            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind != JsonValueKind.Object)
                {
                    throw Error($"messages[{index}] is not an object");
                }

                var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : throw Error($"messages[{index}] has no \"role\" string");
                if (role is not ("system" or "user" or "assistant"))
                {
                    throw Error($"messages[{index}].role is \"{role}\"; use system, user or assistant");
                }

                var content = message.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : throw Error($"messages[{index}] has no \"content\" string");
                var weight = 1.0;
                if (message.TryGetProperty("weight", out var w) && w.ValueKind != JsonValueKind.Null)
                {
                    if (w.ValueKind != JsonValueKind.Number || !w.TryGetDouble(out weight) || weight is < 0 or > 1)
                    {
                        throw Error($"messages[{index}].weight must be a number from 0 to 1");
                    }
                }

                list.Add(new ChatMessage(role, content, weight));
                index++;
            }

            if (!list.Any(m => m.IsAssistant))
            {
                throw Error("the conversation has no assistant message, so there is nothing to learn");
            }

            return list;
        }

        List<ChatMessage> ReadPromptCompletion(JsonElement root)
        {
            var prompt = root.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : throw Error("brightrun_lora_v3 lines need a \"prompt\" string");
            var completion = root.TryGetProperty("completion", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : throw Error("brightrun_lora_v3 lines need a \"completion\" string");
            return [new ChatMessage("user", prompt), new ChatMessage("assistant", completion)];
        }

        Checkpoints.TrainerInputException Error(string message) => new($"{path}:{number}: {message}");
    }
}
