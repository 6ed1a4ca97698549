using System.Diagnostics;
using System.Globalization;
using System.Text;
using LoraPipeline.Trainer.Data;
using LoraPipeline.Trainer.Lora;
using LoraPipeline.Trainer.Model;
using LoraPipeline.Trainer.Native;
using LoraPipeline.Trainer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Bench;

/// <summary>
/// Training throughput on a SmolLM-135M-shaped model (random weights built in memory: 30 layers,
/// hidden 576, intermediate 1536, 9 heads, 3 KV heads, vocab 49152, tied embeddings), one sequence of
/// random tokens per step, every position trained, LoRA r=16 on the default targets. Model FLOP
/// utilisation is the model's FLOP rate (<see cref="FlopCount"/>) over what plain libtorch matmuls of
/// the same GEMM shapes reach in the same process, measured right after the training steps.
/// </summary>
public static class TrainerBenchmark
{
    public static ModelConfig SmolLmShape() => new()
    {
        Architecture = "LlamaForCausalLM",
        VocabSize = 49152,
        HiddenSize = 576,
        IntermediateSize = 1536,
        NumHiddenLayers = 30,
        NumAttentionHeads = 9,
        NumKeyValueHeads = 3,
        HeadDim = 64,
        RmsNormEps = 1e-5,
        RopeTheta = 10000,
        MaxPositionEmbeddings = 2048,
        TieWordEmbeddings = true,
    };

    public static string Run(int steps, int seqLen, int rank, int threads, TextWriter log)
    {
        var config = SmolLmShape();
        var targets = LoraSettings.DefaultTargets;
        using var model = RandomModel(config);
        using var generator = new Generator(42, torch.CPU);
        model.Lora.Generator = generator;
        var settings = new LoraSettings(rank, rank * 2, 0.05, targets);
        var adapted = settings.Attach(model, generator);
        var parameters = TrainingCheckpoint.Parameters(adapted);
        using var optimizer = new AdamW(parameters, 0.0);
        var schedule = new LrSchedule(2e-4, 0, steps);
        var random = new Random(7);
        var rssStart = Memory.RssMiB();
        var rssSamples = new List<(int Step, double Rss)> { (0, rssStart) };
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        for (var step = 1; step <= steps; step++)
        {
            var example = RandomExample(random, config.VocabSize, seqLen);
            var clock = Stopwatch.StartNew();
            using (var scope = torch.NewDisposeScope())
            {
                model.Lora.Training = true;
                var (sum, weight, _) = BatchLoss.Compute(model, [example]);
                sum.div(weight).backward();
            }

            optimizer.ClipGradients(1.0);
            optimizer.Step(schedule.At(step));
            optimizer.ZeroGrad();
            HeapTrim.AfterStep();
            times.Add(clock.Elapsed.TotalSeconds);
            if (step == 1 || step == steps / 2 || step == steps)
            {
                rssSamples.Add((step, Memory.RssMiB()));
            }

            if (step % 10 == 0 || step == 1)
            {
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {step}/{steps}: {times[^1]:F2} s, RSS {Memory.RssMiB():F0} MiB"));
            }
        }

        var wall = total.Elapsed.TotalSeconds;
        var flops = FlopCount.ForStep(config, seqLen, rank, targets);
        // the first steps warm up allocators and kernels: the rate is over the second half of the steps
        var measured = times.Skip(steps / 2).ToList();
        var stepSeconds = measured.Average();
        var median = measured.Order().ElementAt(measured.Count / 2);
        var (matmulRate, matmulDetail) = MatmulRate(config, seqLen);
        var modelRate = flops.Total / stepSeconds;
        return Table(config, steps, seqLen, rank, threads, wall, stepSeconds, median, flops, modelRate, matmulRate, matmulDetail, rssSamples, Memory.PeakRssMiB());
    }

    private static LlamaModel RandomModel(ModelConfig config)
    {
        using var generator = new Generator(1234, torch.CPU);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (torch.no_grad())
        {
            foreach (var (name, shape) in LlamaModel.ExpectedTensors(config))
            {
                var t = torch.empty(shape, dtype: ScalarType.Float32);
                if (name.EndsWith("norm.weight", StringComparison.Ordinal))
                {
                    t.fill_(1.0);
                }
                else
                {
                    t.normal_(0, 0.02, generator);
                }

                weights[name] = t;
            }
        }

        return LlamaModel.FromWeights(config, weights, torch.CPU, ScalarType.Float32);
    }

    private static TokenizedExample RandomExample(Random random, int vocab, int length)
    {
        var ids = new int[length];
        for (var i = 0; i < length; i++)
        {
            ids[i] = random.Next(vocab);
        }

        var weights = Enumerable.Repeat(1f, length).ToArray();
        return new TokenizedExample(ids, weights, false, 0);
    }

    /// <summary>FLOP/s of torch.matmul over the step's frozen GEMM shapes, each weighted by how often a step runs it.</summary>
    private static (double Rate, string Detail) MatmulRate(ModelConfig config, int tokens)
    {
        using var _ = torch.no_grad();
        double flops = 0;
        double seconds = 0;
        var detail = new StringBuilder();
        foreach (var (m, k, n, count) in FlopCount.FrozenGemms(config, tokens))
        {
            using var scope = torch.NewDisposeScope();
            var a = torch.randn(m, k);
            var b = torch.randn(n, k).t(); // a transposed weight, as F.linear uses it
            for (var i = 0; i < 2; i++)
            {
                torch.matmul(a, b).Dispose();
            }

            var reps = Math.Max(3, (int)(2e10 / (2.0 * m * k * n)));
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < reps; i++)
            {
                torch.matmul(a, b).Dispose();
            }

            var perCall = clock.Elapsed.TotalSeconds / reps;
            flops += 2.0 * m * k * n * count;
            seconds += perCall * count;
            detail.Append(CultureInfo.InvariantCulture, $"[{m}x{k}]·[{k}x{n}] ×{count}: {2.0 * m * k * n / perCall / 1e9:F1} GFLOP/s; ");
        }

        return (flops / seconds, detail.ToString().TrimEnd(' ', ';'));
    }

    private static string Table(ModelConfig c, int steps, int seqLen, int rank, int threads, double wall, double stepSeconds, double median, FlopCount f, double modelRate, double matmulRate, string matmulDetail, List<(int Step, double Rss)> rss, double peak)
    {
        var inv = CultureInfo.InvariantCulture;
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        var cpu = CpuName();
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"### lora-train bench — {DateTime.UtcNow:yyyy-MM-dd}, {cpu}, {Environment.ProcessorCount} cores, {threads} libtorch thread(s), load average {load} at the end");
        sb.AppendLine();
        sb.AppendLine(inv, $"SmolLM-135M shape ({c.NumHiddenLayers} layers, hidden {c.HiddenSize}, intermediate {c.IntermediateSize}, {c.NumAttentionHeads} heads / {c.NumKeyValueHeads} KV, vocab {c.VocabSize}, tied), random weights, float32 on CPU, LoRA r={rank} on q,k,v,o (dropout 0.05), 1 sequence × {seqLen} tokens per step, {steps} steps ({wall / 60:F1} min).");
        sb.AppendLine();
        sb.AppendLine("| metric | value |");
        sb.AppendLine("| --- | --- |");
        sb.AppendLine(inv, $"| step time (mean / median, 2nd half of the steps) | {stepSeconds:F2} s / {median:F2} s |");
        sb.AppendLine(inv, $"| training throughput | {seqLen / stepSeconds:F0} tokens/s |");
        sb.AppendLine(inv, $"| model FLOPs per step | {f.Total / 1e9:F1} GFLOP (frozen linears {f.FrozenLinear / 1e9:F1}, lm_head {f.LmHead / 1e9:F1}, attention {f.Attention / 1e9:F1}, LoRA {f.Lora / 1e9:F2}) |");
        sb.AppendLine(inv, $"| model FLOP rate | {modelRate / 1e9:F1} GFLOP/s |");
        sb.AppendLine(inv, $"| plain libtorch matmul, same GEMM shapes (practical limit) | {matmulRate / 1e9:F1} GFLOP/s |");
        sb.AppendLine(inv, $"| **model FLOP utilisation** (model rate / matmul rate) | **{modelRate / matmulRate * 100:F0}%** |");
        sb.AppendLine(inv, $"| RSS at start / step 1 / middle / end | {string.Join(" / ", rss.Select(r => r.Rss.ToString("F0", inv)))} MiB |");
        sb.AppendLine(inv, $"| peak RSS (VmHWM) | {peak:F0} MiB |");
        sb.AppendLine();
        sb.AppendLine(inv, $"Matmul reference per shape: {matmulDetail}.");
        return sb.ToString();
    }

    private static string CpuName()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "CPU" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return "CPU";
        }
    }

    private static class Memory
    {
        public static double RssMiB() => Field("VmRSS:");

        public static double PeakRssMiB() => Field("VmHWM:");

        private static double Field(string name)
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
            return line is null ? 0 : double.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
        }
    }
}
