namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// Finds a NUL character in a line, raw or as the JSON escape <c>\u0000</c>. PostgreSQL's jsonb refuses
/// U+0000 in any string, so an example, sample or message quoting one could never be recorded: such a
/// line is rejected before it is parsed.
/// </summary>
internal static class NulCharacter
{
    /// <summary>The 0-based byte offset of the first NUL, or null when there is none.</summary>
    public static int? Find(ReadOnlySpan<byte> line)
    {
        var raw = line.IndexOf((byte)0);
        var escaped = FindEscape(line);
        return (raw, escaped) switch
        {
            (< 0, null) => null,
            (< 0, { } e) => e,
            (var r, null) => r,
            (var r, { } e) => Math.Min(r, e),
        };
    }

    private static int? FindEscape(ReadOnlySpan<byte> line)
    {
        var from = 0;
        while (from < line.Length)
        {
            var hit = line[from..].IndexOf(@"\u0000"u8);
            if (hit < 0)
            {
                return null;
            }

            var at = from + hit;
            // "\\u0000" is a backslash followed by the text u0000: only an odd run of backslashes escapes
            var backslashes = 1;
            while (at - backslashes >= 0 && line[at - backslashes] == (byte)'\\')
            {
                backslashes++;
            }

            if (backslashes % 2 == 1)
            {
                return at;
            }

            from = at + 1;
        }

        return null;
    }
}
