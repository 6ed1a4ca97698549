using System.Diagnostics.CodeAnalysis;

namespace LoraPipeline.Datasets.Validation;

/// <summary>The JSONL layouts a dataset can be uploaded in.</summary>
internal enum DatasetFormat
{
    /// <summary><c>brightrun_lora_v4</c>: <c>{"messages": [{"role", "content", "name"?, "weight"?}], "split"?}</c> per line.</summary>
    BrightrunLoraV4,

    /// <summary><c>brightrun_lora_v3</c>: <c>{"prompt", "completion", "split"?}</c> per line.</summary>
    BrightrunLoraV3,
}

/// <summary>Converts <see cref="DatasetFormat"/> to and from its wire name.</summary>
internal static class DatasetFormats
{
    public const string V4WireName = "brightrun_lora_v4";
    public const string V3WireName = "brightrun_lora_v3";

    /// <summary>The format used when a dataset does not name one.</summary>
    public const DatasetFormat Default = DatasetFormat.BrightrunLoraV4;

    public static string ToWireName(this DatasetFormat format) => format switch
    {
        DatasetFormat.BrightrunLoraV4 => V4WireName,
        DatasetFormat.BrightrunLoraV3 => V3WireName,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown dataset format."),
    };

    /// <summary>Parses a wire name; null or empty means the default format. Case-sensitive, like every wire name.</summary>
    public static bool TryParse(string? wireName, [NotNullWhen(true)] out DatasetFormat? format)
    {
        format = wireName switch
        {
            null or "" => Default,
            V4WireName => DatasetFormat.BrightrunLoraV4,
            V3WireName => DatasetFormat.BrightrunLoraV3,
            _ => null,
        };
        return format is not null;
    }

    public static DatasetFormat Parse(string? wireName) =>
        TryParse(wireName, out var format)
            ? format.Value
            : throw new FormatException($"Unknown dataset format \"{wireName}\"; expected {V4WireName} or {V3WireName}.");
}
