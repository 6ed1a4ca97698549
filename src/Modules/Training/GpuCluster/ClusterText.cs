using System.Text;

namespace LoraPipeline.Training.GpuCluster;

/// <summary>
/// A cluster's own words (an error body, a job's error message) made fit to show a user: its first line, without
/// control characters or markup, at most <see cref="MaxLength"/> characters. A proxy's HTML error page or a stack
/// trace becomes a plain sentence; the raw text goes to the log only.
/// </summary>
internal static class ClusterText
{
    public const int MaxLength = 200;

    public static string ForUser(string? raw)
    {
        var line = (raw ?? "").Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        if (line.Length == 0)
        {
            return "no reason given";
        }

        if (line.Contains('<', StringComparison.Ordinal) && line.Contains('>', StringComparison.Ordinal))
        {
            return "the answer was not readable text (details in the platform's log)";
        }

        var text = new StringBuilder(Math.Min(line.Length, MaxLength + 1));
        var space = false;
        foreach (var c in line)
        {
            var blank = char.IsWhiteSpace(c) || char.IsControl(c);
            if (blank && (space || text.Length == 0))
            {
                continue;
            }

            text.Append(blank ? ' ' : c);
            space = blank;
            if (text.Length > MaxLength)
            {
                break;
            }
        }

        var shown = text.ToString().TrimEnd();
        return shown.Length > MaxLength ? shown[..(MaxLength - 1)].TrimEnd() + "…" : shown;
    }
}
