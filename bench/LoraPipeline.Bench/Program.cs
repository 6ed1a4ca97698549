using LoraPipeline.Bench.Validation;

// One verb per benchmark; each prints its results as a Markdown table (see README "Benchmarks").
return args switch
{
    ["validation", .. var rest] => await ValidationBenchmark.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: bench.sh <validation> [options]");
    return 2;
}
