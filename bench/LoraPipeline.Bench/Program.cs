using LoraPipeline.Bench.Costs;
using LoraPipeline.Bench.Jobs;
using LoraPipeline.Bench.Polling;
using LoraPipeline.Bench.Reliability;
using LoraPipeline.Bench.Slurm;
using LoraPipeline.Bench.Validation;
using LoraPipeline.Bench.Webhooks;

// One verb per benchmark; each prints its results as a Markdown table (see README "Benchmarks").
return args switch
{
    ["validation", .. var rest] => await ValidationBenchmark.RunAsync(rest),
    ["jobs", .. var rest] => await JobCreationBenchmark.RunAsync(rest),
    ["polling", .. var rest] => await PollingBenchmark.RunAsync(rest),
    ["costs", .. var rest] => await CostsBenchmark.RunAsync(rest),
    ["crash", .. var rest] => await ReliabilityBenchmarks.CrashAsync(rest),
    ["faults", .. var rest] => await ReliabilityBenchmarks.FaultsAsync(rest),
    ["nodes", .. var rest] => await ReliabilityBenchmarks.NodesAsync(rest),
    ["soak", .. var rest] => await SoakBenchmark.RunAsync(rest),
    ["webhooks", .. var rest] => await WebhookBenchmark.RunAsync(rest),
    ["slurm", .. var rest] => await SlurmBenchmark.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: bench.sh <validation|jobs|polling|costs|crash|faults|nodes|soak|webhooks|slurm> [options]");
    return 2;
}
