using System.Globalization;
using System.Text;

namespace LoraPipeline.Cli.Rendering;

/// <summary>
/// Horizontal bars as text lines: "label │█████▌   value". Eighth blocks give a bar its exact
/// length on a terminal; '#' stands in for a file or a pipe, where plain ASCII reads everywhere.
/// Used for the token statistics, the daily costs and the budget gauge.
/// </summary>
public static class Bars
{
    private const string Eighths = " ▏▎▍▌▋▊▉";

    public static IReadOnlyList<string> Render(IReadOnlyList<(string Label, decimal Value, string Shown)> rows, int width, bool unicode)
    {
        if (rows.Count == 0)
        {
            return [];
        }

        var max = rows.Max(r => r.Value);
        var labelWidth = rows.Max(r => r.Label.Length);
        var lines = new List<string>(rows.Count);
        foreach (var (label, value, shown) in rows)
        {
            var bar = Bar(max <= 0 ? 0 : (double)(value / max), width, unicode);
            lines.Add($"  {label.PadRight(labelWidth)} {(unicode ? "│" : "|")}{bar.PadRight(width)} {shown}");
        }

        return lines;
    }

    /// <summary>A bar of <paramref name="fraction"/> (0-1) of <paramref name="width"/> cells.</summary>
    public static string Bar(double fraction, int width, bool unicode)
    {
        fraction = Math.Clamp(double.IsFinite(fraction) ? fraction : 0, 0, 1);
        if (!unicode)
        {
            return new string('#', (int)Math.Round(fraction * width));
        }

        var eighths = (int)Math.Round(fraction * width * 8);
        var text = new StringBuilder(new string('█', eighths / 8));
        if (eighths % 8 > 0)
        {
            text.Append(Eighths[eighths % 8]);
        }

        return text.ToString();
    }

    /// <summary>A gauge such as "[██████░░░░] 61.0%", for progress and budget use.</summary>
    public static string Gauge(decimal percent, int width, bool unicode)
    {
        var fraction = (double)Math.Clamp(percent / 100m, 0m, 1m);
        var filled = (int)Math.Round(fraction * width);
        var bar = unicode ? new string('█', filled) + new string('░', width - filled) : new string('#', filled) + new string('.', width - filled);
        return $"[{bar}] {percent.ToString("0.0", CultureInfo.InvariantCulture)}%";
    }
}
