using System.Diagnostics.CodeAnalysis;

namespace LoraPipeline.OpenAi;

/// <summary>
/// OpenAI-style ids over our Guids: <c>file-</c>, <c>ftjob-</c>, <c>ftckpt-</c>, <c>ftevent-</c> and a job's result
/// file <c>file-result-</c>, each with the Guid in 32 hex digits, so an id parses back without a lookup table.
/// </summary>
internal static class OpenAiIds
{
    public const string File = "file-";
    public const string ResultFile = "file-result-";
    public const string Job = "ftjob-";

    public static string ForFile(Guid id) => File + id.ToString("N");

    public static string ForResultFile(Guid jobId) => ResultFile + jobId.ToString("N");

    public static string ForJob(Guid id) => Job + id.ToString("N");

    public static string ForCheckpoint(Guid jobId, int step) => $"ftckpt-{jobId:N}-{step}";

    public static string ForEvent(Guid jobId, string entry) => $"ftevent-{jobId:N}-{entry}";

    public static bool TryParse(string? id, string prefix, [NotNullWhen(true)] out Guid? guid)
    {
        guid = null;
        if (id is null || !id.StartsWith(prefix, StringComparison.Ordinal) || id.Length != prefix.Length + 32
            || !Guid.TryParseExact(id.AsSpan(prefix.Length), "N", out var parsed))
        {
            return false;
        }

        guid = parsed;
        return true;
    }

    public static long Unix(DateTimeOffset at) => at.ToUnixTimeSeconds();

    public static long? Unix(DateTimeOffset? at) => at?.ToUnixTimeSeconds();
}
