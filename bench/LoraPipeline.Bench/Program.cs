using LoraPipeline.Bench.Costs;
using LoraPipeline.Bench.Jobs;
using LoraPipeline.Bench.Polling;
using LoraPipeline.Bench.Validation;

// One verb per benchmark; each prints its results as a Markdown table (see README "Benchmarks").
return args switch
{
    ["validation", .. var rest] => await ValidationBenchmark.RunAsync(rest),
    ["jobs", .. var rest] => await JobCreationBenchmark.RunAsync(rest),
    ["polling", .. var rest] => await PollingBenchmark.RunAsync(rest),
    ["costs", .. var rest] => await CostsBenchmark.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: bench.sh <validation|jobs|polling|costs> [options]");
    return 2;
}
