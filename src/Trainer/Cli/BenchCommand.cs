using LoraPipeline.Trainer.Bench;
using LoraPipeline.Trainer.Native;

namespace LoraPipeline.Trainer.Cli;

/// <summary><c>lora-train bench</c>: prints the benchmark's Markdown table (progress goes to stderr).</summary>
internal static class BenchCommand
{
    public const string Usage = """
        usage: lora-train bench [--steps N] [--seq-len N] [--rank N] [--threads N] [--out FILE]
          Trains LoRA on a SmolLM-135M-shaped random model in memory and prints tokens/s, model FLOP
          utilisation against plain libtorch matmuls of the same shapes, and RSS over the run.
          Defaults: 200 steps, 512 tokens, rank 16, one thread per core. --out also writes the table to FILE.
        """;

    public static int Run(string[] args)
    {
        var a = Arguments.Parse("bench", args, ["steps", "seq-len", "rank", "threads", "out"], []);
        var threads = a.Int("threads") ?? Environment.ProcessorCount;
        TorchRuntime.Initialize(threads);
        var table = TrainerBenchmark.Run(a.Int("steps") ?? 200, a.Int("seq-len") ?? 512, a.Int("rank") ?? 16, threads, Console.Error);
        Console.WriteLine(table);
        if (a.Text("out") is { } path)
        {
            File.WriteAllText(path, table);
        }

        return ExitCodes.Success;
    }
}
