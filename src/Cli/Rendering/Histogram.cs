using LoraPipeline.Cli.Api;

namespace LoraPipeline.Cli.Rendering;

/// <summary>
/// The token distributions of a dataset as the report gives them: summary statistics (min, p10,
/// median, mean, p90, max by nearest rank), not a count per bucket. So this draws what is honest:
/// one bar per statistic, labelled as such, so the spread and the skew (mean against median) show.
/// </summary>
public static class Histogram
{
    public static IReadOnlyList<string> Render(string title, Distribution distribution, long examples, bool unicode, int width = 40)
    {
        var rows = new List<(string, decimal, string)>
        {
            ("min", distribution.Min, Format.Int(distribution.Min)),
            ("p10", distribution.P10, Format.Int(distribution.P10)),
            ("median", distribution.Median, Format.Int(distribution.Median)),
            ("mean", distribution.Mean, Format.Number(distribution.Mean, "0.00")),
            ("p90", distribution.P90, Format.Int(distribution.P90)),
            ("max", distribution.Max, Format.Int(distribution.Max)),
        };
        var lines = new List<string> { $"{title} (summary statistics over {Format.Count(examples)} valid examples)" };
        lines.AddRange(Bars.Render(rows, width, unicode));
        return lines;
    }
}
