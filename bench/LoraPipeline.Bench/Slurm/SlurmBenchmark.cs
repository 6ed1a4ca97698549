using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.SlurmGateway.Jobs;
using LoraPipeline.SlurmGateway.Tests;
using LoraPipeline.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace LoraPipeline.Bench.Slurm;

/// <summary>
/// ./bench.sh slurm [--runs 10] [--pending 1000]: create → Slurm RUNNING through the platform and the gateway against a
/// bare slurmrestd submit → RUNNING, interleaved in the same run on the local cluster of scripts/slurm.sh; then the
/// gateway's poll cycle with that many other jobs pending in Slurm (one GET /jobs per cycle, whatever their number).
/// </summary>
public static class SlurmBenchmark
{
    private const double PollSeconds = 0.05;

    /// <summary>Create → the gateway's Slurm submit answered (its state file written), per platform run.</summary>
    private static readonly List<double> GatewaySubmitted = [];

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = Option(args, "--runs", 10);
        var pending = Option(args, "--pending", 1000);
        Environment.SetEnvironmentVariable("LORA_TEST_POSTGRES", Environment.GetEnvironmentVariable("LORA_BENCH_POSTGRES")
            ?? throw new InvalidOperationException("LORA_BENCH_POSTGRES is not set: run ./bench.sh slurm"));
        var slurm = SlurmCluster.Current;
        if (slurm.Unavailable is { } reason)
        {
            Console.Error.WriteLine(reason);
            return 3;
        }

        // the in-process platform of the tests: outside a test project, WebApplicationFactory is told where the Host's content is
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_LORAPIPELINE_HOST", Path.Combine(SlurmCluster.RepositoryRoot, "src/Host"));
        var platform = new SlurmPlatform();
        await platform.InitializeAsync();
        try
        {
            using var rest = RestClient(slurm);
            var user = await platform.CreateUserAsync();
            var dataset = (await platform.UploadAndValidateAsync(user, SlurmJobs.CapitalsJsonl(), "Capitals"))["id"]!.GetValue<Guid>();
            var bare = new List<double>();
            var through = new List<double>();
            for (var i = -1; i < runs; i++) // run -1 warms both paths up (JIT, first job after the cluster started) and is not counted
            {
                var b = await BareSubmitToRunningAsync(rest);
                var p = await PlatformCreateToRunningAsync(platform, rest, user, dataset);
                if (i >= 0)
                {
                    bare.Add(b);
                    through.Add(p);
                }
                else
                {
                    GatewaySubmitted.Clear();
                }
            }

            var (getJobs, cycle, calls) = await PollCostAsync(platform, rest, user, dataset, pending);
            Print(runs, bare, through, pending, getJobs, cycle, calls);
            return 0;
        }
        finally
        {
            await platform.DisposeAsync();
        }
    }

    private static async Task<double> BareSubmitToRunningAsync(HttpClient rest)
    {
        var started = Stopwatch.GetTimestamp();
        var id = await SubmitAsync(rest, "bench-bare", hold: false);
        await WaitForStateAsync(rest, j => j?["job_id"]?.GetValue<long>() == id, "RUNNING");
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        (await rest.DeleteAsync($"slurm/v0.0.38/job/{id}")).EnsureSuccessStatusCode();
        await WaitForStateAsync(rest, j => j?["job_id"]?.GetValue<long>() == id, "CANCELLED");
        return seconds;
    }

    private static async Task<double> PlatformCreateToRunningAsync(SlurmPlatform platform, HttpClient rest, TestUser user, Guid dataset)
    {
        var started = Stopwatch.GetTimestamp();
        var created = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new
            {
                dataset_id = dataset,
                preset_id = "fast",
                gpu_config = new { type = "A100-80GB", count = 1 },
                hyperparameters = new { base_model = SlurmPlatform.TinyModelName, epochs = 20, batch_size = 4, learning_rate = 0.001 },
            }).ToUrl("/api/jobs");
            s.StatusCodeShouldBe(201);
        });
        var id = (await created.Data())["id"]!.GetValue<Guid>();
        var name = JobSubmitter.SlurmName(id);
        var stateFile = Path.Combine(platform.JobRoot, id.ToString("D"), "gateway.json");
        while (!File.Exists(stateFile) && Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(1))
        {
            await Task.Delay(20);
        }

        GatewaySubmitted.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
        await WaitForStateAsync(rest, j => j?["name"]?.GetValue<string>() == name, "RUNNING");
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        await platform.Host.Scenario(s => s.As(user).Post.Url($"/api/jobs/{id}/cancel"));
        await WaitForStateAsync(rest, j => j?["name"]?.GetValue<string>() == name, "CANCELLED", "COMPLETED", "FAILED"); // the node is free again
        return seconds;
    }

    private static async Task<(double GetJobs, double Cycle, double CallsPerCycle)> PollCostAsync(
        SlurmPlatform platform, HttpClient rest, TestUser user, Guid dataset, int pending)
    {
        // held jobs stay PENDING and take nothing: the listing the gateway reads grows, the cluster stays free
        await Parallel.ForEachAsync(Enumerable.Range(0, pending), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (_, _) => await SubmitAsync(rest, "bench-held", hold: true));
        try
        {
            var job = await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Json(new
                {
                    dataset_id = dataset,
                    preset_id = "fast",
                    gpu_config = new { type = "A100-80GB", count = 1 },
                    hyperparameters = new { base_model = SlurmPlatform.TinyModelName, epochs = 20, batch_size = 4, learning_rate = 0.001 },
                }).ToUrl("/api/jobs");
                s.StatusCodeShouldBe(201);
            });
            var id = (await job.Data())["id"]!.GetValue<Guid>();
            await WaitForStateAsync(rest, j => j?["name"]?.GetValue<string>() == JobSubmitter.SlurmName(id), "RUNNING");

            var monitor = platform.GatewayServices.GetRequiredService<SlurmMonitor>();
            var cycles = new List<double>();
            var before = Interlocked.Read(ref monitor.Cycles);
            var callsBefore = Interlocked.Read(ref platform.SlurmCalls);
            for (var i = 0; i < 5; i++)
            {
                var t = Stopwatch.GetTimestamp();
                await monitor.CycleAsync(CancellationToken.None);
                cycles.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }

            // the background loop also cycles meanwhile: calls per cycle is what matters, counted over all of them
            // (measured while the job is still unfinished: the listing the gateway takes is then the only call)
            var calls = (Interlocked.Read(ref platform.SlurmCalls) - callsBefore) / (double)Math.Max(1, Interlocked.Read(ref monitor.Cycles) - before);

            var getJobs = new List<double>();
            for (var i = 0; i < 10; i++)
            {
                var t = Stopwatch.GetTimestamp();
                (await rest.GetAsync("slurm/v0.0.38/jobs")).EnsureSuccessStatusCode();
                getJobs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }

            await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Url($"/api/jobs/{id}/cancel");
                s.IgnoreStatusCode(); // it may have finished meanwhile
            });
            return (Median(getJobs), Median(cycles), calls);
        }
        finally
        {
            SlurmCluster.Run("/usr/bin/env", "SLURM_CONF=" + Path.Combine(SlurmCluster.RepositoryRoot, ".data/slurm/etc/slurm.conf"), "scancel", "--name=bench-held");
        }
    }

    private static HttpClient RestClient(SlurmCluster.Environment slurm)
    {
        var client = new HttpClient { BaseAddress = new Uri(slurm.RestUrl.TrimEnd('/') + "/") };
        client.DefaultRequestHeaders.Add("X-SLURM-USER-NAME", slurm.User);
        client.DefaultRequestHeaders.Add("X-SLURM-USER-TOKEN", File.ReadAllText(slurm.TokenFile).Trim());
        return client;
    }

    private static async Task<long> SubmitAsync(HttpClient rest, string name, bool hold)
    {
        var body = new JsonObject
        {
            ["job"] = new JsonObject
            {
                ["name"] = name,
                ["partition"] = "debug",
                ["current_working_directory"] = "/tmp",
                ["standard_output"] = "/dev/null",
                ["environment"] = new JsonObject { ["PATH"] = "/usr/bin:/bin" },
                ["gpus_per_node"] = "1",
                ["cpus_per_task"] = 1,
                ["time_limit"] = 10,
                ["hold"] = hold,
            },
            ["script"] = "#!/bin/bash\nsleep 60\n",
        };
        var content = new StringContent(body.ToJsonString());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json"); // no charset: slurmrestd 22.05 refuses it
        var response = await rest.PostAsync("slurm/v0.0.38/job/submit", content);
        var answer = await response.Content.ReadFromJsonAsync<JsonObject>();
        return answer?["job_id"]?.GetValue<long>() ?? throw new InvalidOperationException("submit failed: " + answer?.ToJsonString());
    }

    private static async Task WaitForStateAsync(HttpClient rest, Func<JsonNode?, bool> which, params string[] states)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            var jobs = (await rest.GetFromJsonAsync<JsonObject>("slurm/v0.0.38/jobs"))!["jobs"]!.AsArray();
            if (jobs.Any(j => which(j) && states.Contains(j!["job_state"]!.GetValue<string>())))
            {
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(PollSeconds));
        }

        throw new TimeoutException($"no job reached {string.Join(" or ", states)} in 2 minutes");
    }

    private static void Print(int runs, List<double> bare, List<double> through, int pending, double getJobs, double cycle, double calls)
    {
        string S(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);
        var target = (1.5 * Percentile(bare, 50)) + 0.5;
        Console.WriteLine($"#### Slurm gateway — {DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, {runs} runs of each, interleaved (state polled every {PollSeconds * 1000:0} ms)");
        Console.WriteLine();
        Console.WriteLine("| path | p50 (s) | p99 (s) | max (s) |");
        Console.WriteLine("| --- | --- | --- | --- |");
        Console.WriteLine($"| bare slurmrestd: POST job/submit → RUNNING | {S(Percentile(bare, 50))} | {S(Percentile(bare, 99))} | {S(bare.Max())} |");
        Console.WriteLine($"| platform: POST /api/jobs → gateway (dataset download, job folder, submit) → Slurm RUNNING | {S(Percentile(through, 50))} | {S(Percentile(through, 99))} | {S(through.Max())} |");
        Console.WriteLine($"| of which POST /api/jobs → the gateway's Slurm submit answered (state file written) | {S(Percentile(GatewaySubmitted, 50))} | {S(Percentile(GatewaySubmitted, 99))} | {S(GatewaySubmitted.Max())} |");
        Console.WriteLine();
        Console.WriteLine($"Target p50 ≤ 1.5 × bare + 0.5 s = {S(target)} s: **{(Percentile(through, 50) <= target ? "met" : "missed")}**.");
        Console.WriteLine();
        Console.WriteLine($"| poll cost with {pending} other jobs pending in Slurm | value |");
        Console.WriteLine("| --- | --- |");
        Console.WriteLine($"| GET /slurm/v0.0.38/jobs (the one call per cycle), median | {getJobs:0.0} ms |");
        Console.WriteLine($"| slurmrestd calls per cycle (counted on the wire) | {calls:0.00} |");
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        var rank = (p / 100) * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    private static double Median(List<double> values) => Percentile(values, 50);

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
