using System.Buffers.Binary;
using System.Text.Json;

namespace LoraPipeline.Artifacts.Inspecting;

/// <summary>What the adapter's own files say it is.</summary>
public sealed record AdapterDescription(
    string? PeftType,
    string? BaseModel,
    int? Rank,
    int? Alpha,
    IReadOnlyList<string> TargetModules,
    int TensorCount,
    long ParameterCount,
    string? DType);

/// <summary>
/// Reads <c>adapter_config.json</c> and the header of <c>adapter_model.safetensors</c> (never the
/// weights), and flags what does not hold: a header that is not safetensors, tensor offsets that do
/// not tile the file, LoRA tensors whose rank differs from the config's <c>r</c>.
/// </summary>
public static class AdapterInspector
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    private const long MaxHeaderBytes = 100L * 1024 * 1024;

    public sealed record AdapterConfig(string? PeftType, string? BaseModel, int? Rank, int? Alpha, IReadOnlyList<string> TargetModules);

    public sealed record TensorInfo(string Name, string DType, long[] Shape, long Start, long End);

    public sealed record SafetensorsHeader(IReadOnlyList<TensorInfo> Tensors, long DataStart, long ParameterCount);

    /// <summary>The config, or why it cannot be read.</summary>
    public static (AdapterConfig? Config, string? Problem) ReadConfig(Stream json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, "adapter_config.json is not a JSON object.");
            }

            var modules = root.TryGetProperty("target_modules", out var t) && t.ValueKind == JsonValueKind.Array
                ? t.EnumerateArray().Where(m => m.ValueKind == JsonValueKind.String).Select(m => m.GetString()!).ToList()
                : [];
            return (new AdapterConfig(Text(root, "peft_type"), Text(root, "base_model_name_or_path"), Integer(root, "r"), Integer(root, "lora_alpha"), modules), null);
        }
        catch (JsonException e)
        {
            return (null, $"adapter_config.json is not valid JSON ({e.Message}).");
        }
    }

    /// <summary>The safetensors header, or why the file is not safetensors.</summary>
    public static async Task<(SafetensorsHeader? Header, string? Problem)> ReadHeaderAsync(Stream file, long fileLength, CancellationToken ct)
    {
        var lengthBytes = new byte[8];
        if (fileLength < 8 || await file.ReadAtLeastAsync(lengthBytes, 8, throwOnEndOfStream: false, ct) < 8)
        {
            return (null, "adapter_model.safetensors is shorter than a safetensors header.");
        }

        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || 8 + headerLength > fileLength)
        {
            return (null, $"adapter_model.safetensors declares a header of {headerLength} bytes, which does not fit the file.");
        }

        var headerBytes = new byte[headerLength];
        if (await file.ReadAtLeastAsync(headerBytes, (int)headerLength, throwOnEndOfStream: false, ct) < headerLength)
        {
            return (null, "adapter_model.safetensors ends inside its header.");
        }

        try
        {
            using var document = JsonDocument.Parse(headerBytes);
            var tensors = new List<TensorInfo>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    continue;
                }

                var value = property.Value;
                var shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                tensors.Add(new TensorInfo(property.Name, value.GetProperty("dtype").GetString() ?? "", shape, offsets[0], offsets[1]));
            }

            var dataStart = 8 + headerLength;
            var problem = CheckOffsets(tensors, fileLength - dataStart);
            return problem is null
                ? (new SafetensorsHeader(tensors, dataStart, tensors.Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b))), null)
                : (null, problem);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or FormatException)
        {
            return (null, $"adapter_model.safetensors has a malformed header ({e.Message}).");
        }
    }

    /// <summary>Cross-checks config and tensors; null when they agree.</summary>
    public static string? CheckConsistency(AdapterConfig config, SafetensorsHeader header)
    {
        if (!string.Equals(config.PeftType, "LORA", StringComparison.OrdinalIgnoreCase))
        {
            return $"adapter_config.json says peft_type '{config.PeftType}', not LORA.";
        }

        var loraA = header.Tensors.Where(t => t.Name.EndsWith("lora_A.weight", StringComparison.Ordinal)).ToList();
        var loraB = header.Tensors.Where(t => t.Name.EndsWith("lora_B.weight", StringComparison.Ordinal)).ToList();
        if (loraA.Count == 0 || loraA.Count != loraB.Count)
        {
            return $"the weights hold {loraA.Count} lora_A and {loraB.Count} lora_B tensors; a LoRA adapter has matching, non-zero counts.";
        }

        var wrongRank = loraA.FirstOrDefault(t => t.Shape.Length != 2 || t.Shape[0] != config.Rank)
                        ?? loraB.FirstOrDefault(t => t.Shape.Length != 2 || t.Shape[1] != config.Rank);
        if (wrongRank is not null)
        {
            return $"tensor {wrongRank.Name} has shape [{string.Join(", ", wrongRank.Shape)}], not rank r={config.Rank} from adapter_config.json.";
        }

        var modules = config.TargetModules;
        var stray = loraA.FirstOrDefault(t => modules.Count > 0 && !modules.Any(m => t.Name.Contains($".{m}.", StringComparison.Ordinal)));
        return stray is null ? null : $"tensor {stray.Name} targets a module that adapter_config.json does not list.";
    }

    public static AdapterDescription Describe(AdapterConfig? config, SafetensorsHeader? header) => new(
        config?.PeftType, config?.BaseModel, config?.Rank, config?.Alpha, config?.TargetModules ?? [],
        header?.Tensors.Count ?? 0, header?.ParameterCount ?? 0,
        DTypeOf(header));

    /// <summary>One dtype, or "mixed" (a full-precision module saved beside bf16 LoRA weights is common).</summary>
    private static string? DTypeOf(SafetensorsHeader? header) =>
        header?.Tensors.Select(t => t.DType).Distinct().ToList() switch
        {
            null or [] => null,
            [var only] => only,
            _ => "mixed",
        };

    private static string? CheckOffsets(List<TensorInfo> tensors, long dataLength)
    {
        long expected = 0;
        foreach (var tensor in tensors.OrderBy(t => t.Start))
        {
            if (tensor.Start != expected || tensor.End < tensor.Start)
            {
                return $"adapter_model.safetensors: tensor {tensor.Name} starts at {tensor.Start}, expected {expected}; the offsets do not tile the data.";
            }

            expected = tensor.End;
        }

        return expected == dataLength ? null : $"adapter_model.safetensors: the tensors cover {expected} bytes but the file holds {dataLength}.";
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Integer(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;
}
