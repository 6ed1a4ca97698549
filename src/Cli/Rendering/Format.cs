using System.Globalization;

namespace LoraPipeline.Cli.Rendering;

/// <summary>How numbers, money, sizes and times read in the human output (always the invariant culture).</summary>
public static class Format
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Money(decimal? amount) => amount is { } a ? a.ToString("$#,##0.00", Inv) : "—";

    public static string Count(long? value) => value is { } v ? v.ToString("N0", Inv) : "—";

    public static string Number(decimal? value, string format = "0.##") => value is { } v ? v.ToString(format, Inv) : "—";

    public static string Number(double? value, string format = "0.####") => value is { } v && double.IsFinite(v) ? v.ToString(format, Inv) : "—";

    public static string Percent(decimal value) => value.ToString("0.0", Inv) + "%";

    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double size = bytes;
        var unit = 0;
        while (size >= 1024 && unit < units.Length - 1)
        {
            size /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes.ToString(Inv)} B" : $"{size.ToString("0.0", Inv)} {units[unit]}";
    }

    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        return span.TotalHours >= 1
            ? $"{(int)span.TotalHours}h{span.Minutes:00}m"
            : span.TotalMinutes >= 1 ? $"{span.Minutes}m{span.Seconds:00}s" : $"{span.Seconds}s";
    }

    public static string Hours(decimal hours) => $"{hours.ToString("0.00", Inv)} h ({Duration(TimeSpan.FromHours((double)hours))})";

    public static string Time(DateTimeOffset? at) => at is { } t ? t.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", Inv) : "—";

    public static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", Inv);

    public static string Int(int value) => value.ToString(Inv);

    public static string Int(long value) => value.ToString(Inv);
}
