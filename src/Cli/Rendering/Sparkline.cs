namespace LoraPipeline.Cli.Rendering;

/// <summary>
/// The last values as a line of Unicode blocks (▁ lowest … █ highest of the values shown): the shape
/// of a loss curve in one line of a terminal.
/// </summary>
public static class Sparkline
{
    private const string Blocks = "▁▂▃▄▅▆▇█";

    public static string Render(IEnumerable<double> values, int width)
    {
        var shown = values.Where(double.IsFinite).TakeLast(Math.Max(1, width)).ToList();
        if (shown.Count == 0)
        {
            return "";
        }

        var min = shown.Min();
        var max = shown.Max();
        var range = max - min;
        return string.Concat(shown.Select(v => range <= 0
            ? Blocks[Blocks.Length / 2]
            : Blocks[(int)Math.Round((v - min) / range * (Blocks.Length - 1))]));
    }
}
