using System.Diagnostics;
using System.Globalization;
using LoraPipeline.Datasets.Validation;

namespace LoraPipeline.Bench.Validation;

/// <summary>
/// Measured passes inside a child process: the same pass over the whole file twice, first in the fresh
/// process ("cold": the JIT is still compiling and optimising), then again ("warm": as in a long-running
/// service that has validated before). Prints one result line per pass for the parent.
/// </summary>
internal static class ChildPass
{
    public const string Baseline = "baseline";
    public const string Validator = "validator";
    public const string ResultPrefix = "BENCH-RESULT ";

    /// <param name="CpuSeconds">Processor time of the whole process during the pass (all threads).</param>
    /// <param name="PeakBytes">VmHWM after the pass: the process's peak resident memory so far.</param>
    public sealed record Measurement(string Phase, double Seconds, double CpuSeconds, long PeakBytes, long AllocatedBytes, string Details);

    public static async Task<int> RunAsync(string pass, string path, int workers)
    {
        // Loading the encoding's vocabulary is a one-off start-up cost, paid by both kinds before any clock starts.
        var counters = new TiktokenTokenCounterFactory();
        foreach (var phase in new[] { "cold", "warm" })
        {
            var measurement = await MeasureAsync(pass, phase, path, workers, counters);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{ResultPrefix}{measurement.Phase} {measurement.Seconds:R} {measurement.CpuSeconds:R} {measurement.PeakBytes} {measurement.AllocatedBytes} {measurement.Details}"));
        }

        return 0;
    }

    public static Measurement Parse(string line)
    {
        var parts = line[ResultPrefix.Length..].Split(' ', 6);
        return new Measurement(
            parts[0],
            double.Parse(parts[1], CultureInfo.InvariantCulture),
            double.Parse(parts[2], CultureInfo.InvariantCulture),
            long.Parse(parts[3], CultureInfo.InvariantCulture),
            long.Parse(parts[4], CultureInfo.InvariantCulture),
            parts.Length > 5 ? parts[5] : "");
    }

    private static async Task<Measurement> MeasureAsync(string pass, string phase, string path, int workers, TiktokenTokenCounterFactory counters)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var jitBefore = System.Runtime.JitInfo.GetCompilationTime();
        var methodsBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
        var stopwatch = Stopwatch.StartNew();
        string details;
        if (pass == Baseline)
        {
            var result = await TokenizeLinesBaseline.RunAsync(file, counters, workers, CancellationToken.None);
            details = $"lines={result.Lines} tokens={result.Tokens}";
        }
        else
        {
            var outcome = await new DatasetValidator(counters, workers).ValidateAsync(
                file, new ValidationSettings(DatasetFormat.BrightrunLoraV4), ValidationErrorSink.Discard, progress: null, CancellationToken.None);
            var report = outcome.Statistics.ValidationReport;
            details = $"lines={outcome.LinesRead} examples={report.ExampleCount} tokens={outcome.Statistics.TotalTokens} " +
                $"errors={outcome.TotalErrors} warnings={outcome.TotalWarnings} over_max={report.ExamplesOverMaxLength} " +
                $"tokens_p50={report.TokensPerExample.Median} tokens_p90={report.TokensPerExample.P90}";
        }

        var seconds = stopwatch.Elapsed.TotalSeconds;
        details += $" jit_seconds={(System.Runtime.JitInfo.GetCompilationTime() - jitBefore).TotalSeconds:F2} jit_methods={System.Runtime.JitInfo.GetCompiledMethodCount() - methodsBefore}";
        process.Refresh();
        return new Measurement(
            phase,
            seconds,
            (process.TotalProcessorTime - cpuBefore).TotalSeconds,
            PeakResidentBytes(),
            GC.GetTotalAllocatedBytes() - allocatedBefore,
            details);
    }

    /// <summary>VmHWM: the most physical memory this process has ever held (Linux).</summary>
    private static long PeakResidentBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var kilobytes = line["VmHWM:".Length..].Trim().Split(' ')[0];
                return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new PlatformNotSupportedException("/proc/self/status has no VmHWM line.");
    }
}
