using System.Text;

namespace LoraPipeline.Datasets.Uploading;

/// <summary>
/// What an upload must look like before we store it: JSON or JSONL by name or declared type, and
/// text rather than binary (binary files are refused before they fill the disk).
/// </summary>
internal static class UploadRules
{
    public const int MaxNameLength = 200;
    public const int MaxDescriptionLength = 2000;
    public const int MaxFileNameLength = 255;

    private static readonly string[] JsonExtensions = [".jsonl", ".json", ".ndjson", ".jsonlines"];

    private static readonly string[] JsonContentTypes =
    [
        "application/json", "application/jsonl", "application/x-jsonlines", "application/x-ndjson",
        "application/jsonlines", "application/ndjson", "text/jsonl", "text/plain",
    ];

    /// <summary>The declared type of a file part is acceptable: JSON-like, or generic with a JSON file name.</summary>
    public static string? RefuseDeclaredType(string fileName, string? contentType)
    {
        var extension = Path.GetExtension(fileName).ToLowerInvariant();
        var type = (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        var jsonName = JsonExtensions.Contains(extension);
        var jsonType = JsonContentTypes.Contains(type);
        var genericType = type is "" or "application/octet-stream";

        if (jsonType || (genericType && jsonName))
        {
            return null;
        }

        return $"Only JSON Lines datasets are accepted (a .jsonl file, one JSON object per line); got '{fileName}' of type '{(type.Length == 0 ? "unknown" : type)}'.";
    }

    /// <summary>
    /// Looks at the first bytes for content that cannot be JSON Lines text at all: UTF-16 (a byte
    /// order mark) or binary (NUL bytes). Text that is merely not valid JSON is left to the
    /// validator, which points at the lines to fix. Null when acceptable, otherwise why not.
    /// </summary>
    public static string? RefuseContent(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return "The file is UTF-16 encoded; save it as UTF-8 (without BOM) and upload it again.";
        }

        return head.IndexOf((byte)0) >= 0 ? "The file is binary (it contains NUL bytes), not JSON Lines text." : null;
    }

    /// <summary>A display name for the uploaded file: no folders, no control characters, bounded length.</summary>
    public static string SanitizeFileName(string? raw)
    {
        var name = Path.GetFileName((raw ?? "").Replace('\\', '/'));
        var cleaned = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            cleaned.Append(char.IsControl(c) || c is '/' or '"' or '<' or '>' or '|' or ':' or '*' or '?' ? '_' : c);
        }

        var result = cleaned.ToString().Trim().TrimStart('.');
        if (result.Length == 0)
        {
            result = "dataset.jsonl";
        }

        return result.Length <= MaxFileNameLength ? result : result[..MaxFileNameLength];
    }
}
