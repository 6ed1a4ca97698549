using System.Globalization;

namespace LoraPipeline.Bench.Validation;

/// <summary>Prints the medians as a Markdown table (MB = 10^6 bytes), then the figures behind them.</summary>
internal static class ResultsTable
{
    public static void Print(long sizeBytes, List<ChildPass.Measurement> baseline, List<ChildPass.Measurement> validator)
    {
        var sizeMb = sizeBytes / 1e6;
        Console.WriteLine();
        Console.WriteLine("| run | size MB | median s | MB/s | peak memory MB | ratio to baseline |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var phase in new[] { "cold", "warm" })
        {
            var baselineSeconds = Median(baseline, phase, m => m.Seconds);
            Row($"baseline ({phase}): read lines + tokenize each line", baseline, phase, baselineSeconds);
            Row($"validator ({phase})", validator, phase, baselineSeconds);
        }

        Console.WriteLine();
        Console.WriteLine("cold = first pass in a fresh process (JIT still optimising); warm = second pass in the same process.");
        Console.WriteLine("peak memory = highest VmHWM of the child processes of that kind (both passes); MB = 10^6 bytes.");
        foreach (var phase in new[] { "cold", "warm" })
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"CPU per pass ({phase}, median): baseline {Median(baseline, phase, m => m.CpuSeconds):F1} s = {sizeMb / Median(baseline, phase, m => m.CpuSeconds):F0} MB per CPU-second, " +
                $"validator {Median(validator, phase, m => m.CpuSeconds):F1} s = {sizeMb / Median(validator, phase, m => m.CpuSeconds):F0} MB per CPU-second; " +
                $"allocated: baseline {Median(baseline, phase, m => m.AllocatedBytes) / 1e6:F0} MB, validator {Median(validator, phase, m => m.AllocatedBytes) / 1e6:F0} MB"));
        }

        Console.WriteLine($"all runs (s): baseline {string.Join(" ", baseline.Select(m => $"{m.Phase[0]}{m.Seconds:F2}"))}; validator {string.Join(" ", validator.Select(m => $"{m.Phase[0]}{m.Seconds:F2}"))}");
        foreach (var (kind, runs) in new[] { ("baseline", baseline), ("validator", validator) })
        {
            foreach (var phase in new[] { "cold", "warm" })
            {
                Console.WriteLine($"last {kind} {phase}: {runs.Last(m => m.Phase == phase).Details}");
            }
        }

        void Row(string name, List<ChildPass.Measurement> runs, string phase, double baselineSeconds)
        {
            var seconds = Median(runs, phase, m => m.Seconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {sizeMb:F0} | {seconds:F2} | {sizeMb / seconds:F1} | {runs.Max(m => m.PeakBytes) / 1e6:F0} | {seconds / baselineSeconds:F2}x |"));
        }
    }

    private static double Median(List<ChildPass.Measurement> runs, string phase, Func<ChildPass.Measurement, double> value)
    {
        var sorted = runs.Where(m => m.Phase == phase).Select(value).Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
