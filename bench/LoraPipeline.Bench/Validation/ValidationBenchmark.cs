using System.Diagnostics;
using System.Globalization;
using LoraPipeline.Datasets.Validation;

namespace LoraPipeline.Bench.Validation;

/// <summary>
/// Measures the dataset validator against a baseline that only reads the lines and tokenizes them, on a
/// generated dataset (500 MB by default). Each kind runs in child processes of its own, so that the peak memory
/// reported (VmHWM, the resident-set high-water mark from /proc/self/status) is its own; a child passes over
/// the whole file twice, cold (fresh process) then warm (JIT done, as in a long-running service).
/// <code>
/// options: --size-mb 500   size of the generated dataset (10^6 bytes)
///          --runs 3        passes of each kind; the table shows medians
///          --file PATH     dataset to use (generated there if missing); default in the temp folder
///          --workers N     parallel workers (default: processor count)
///          --seed 42       generator seed
/// </code>
/// </summary>
public static class ValidationBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = BenchmarkOptions.Parse(args);
        if (options.ChildPass is { } pass)
        {
            return await ChildPass.RunAsync(pass, options.File, options.Workers);
        }

        await EnsureDatasetAsync(options);
        var size = new FileInfo(options.File).Length;
        Console.WriteLine($"Dataset: {options.File} ({size / 1e6:F1} MB), {options.Runs} runs of each pass, {options.Workers} workers, {Environment.ProcessorCount} processors.");
        await WarmPageCacheAsync(options.File);

        var baseline = new List<ChildPass.Measurement>();
        var validator = new List<ChildPass.Measurement>();
        for (var run = 1; run <= options.Runs; run++)
        {
            // Interleaved, so that a busy spell of a shared machine hits both kinds alike.
            baseline.AddRange(await ChildProcess.MeasureAsync(args, ChildPass.Baseline, options));
            validator.AddRange(await ChildProcess.MeasureAsync(args, ChildPass.Validator, options));
            Console.WriteLine(string.Join(", ", baseline.TakeLast(2).Select(m => $"baseline {m.Phase} {m.Seconds:F2} s")
                .Concat(validator.TakeLast(2).Select(m => $"validator {m.Phase} {m.Seconds:F2} s"))).Insert(0, $"run {run}: "));
        }

        ResultsTable.Print(size, baseline, validator);
        return 0;
    }

    private static async Task EnsureDatasetAsync(BenchmarkOptions options)
    {
        if (File.Exists(options.File))
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(options.File)!);
        Console.WriteLine($"Generating {options.SizeMb} MB with seed {options.Seed} into {options.File} ...");
        var stopwatch = Stopwatch.StartNew();
        await BenchmarkDataset.WriteAsync(options.File, options.SizeMb * 1_000_000L, options.Seed, CancellationToken.None);
        Console.WriteLine($"Generated in {stopwatch.Elapsed.TotalSeconds:F1} s.");
    }

    /// <summary>Reads the file once so that no measured pass pays for the disk (24 GB of RAM holds it).</summary>
    private static async Task WarmPageCacheAsync(string path)
    {
        var buffer = new byte[1 << 20];
        await using var file = File.OpenRead(path);
        while (await file.ReadAsync(buffer) > 0)
        {
        }
    }
}

internal sealed record BenchmarkOptions(int SizeMb, int Runs, string File, int Workers, int Seed, string? ChildPass)
{
    public static BenchmarkOptions Parse(string[] args)
    {
        int sizeMb = 500, runs = 3, workers = Environment.ProcessorCount, seed = 42;
        string? file = null, childPass = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--size-mb": sizeMb = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--runs": runs = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--file": file = Next(); break;
                case "--workers": workers = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case ChildProcess.HiddenPassArgument: childPass = Next(); break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        file ??= Path.Combine(Path.GetTempPath(), "lorapipeline-bench",
            $"validation-{sizeMb}mb-seed{seed}-v{BenchmarkDataset.GeneratorVersion}.jsonl");
        return new BenchmarkOptions(sizeMb, runs, file, workers, seed, childPass);
    }
}
