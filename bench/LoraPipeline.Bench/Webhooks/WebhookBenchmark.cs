using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LoraPipeline.Bench.Jobs;
using LoraPipeline.TestKit;
using LoraPipeline.TestKit.Processes;

namespace LoraPipeline.Bench.Webhooks;

/// <summary>
/// Webhook deliveries from one Host to a receiver on loopback while 1,000 jobs run: deliveries per second and
/// their latency from the event (the receiver's arrival time minus the payload's timestamp, which is the event's
/// time in the event store), for the bulk of job.queued/job.running while the jobs are created and for the
/// job.succeeded of jobs ending while the others still run and are polled.
/// </summary>
public static class WebhookBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var jobs = JobCreationBenchmark.Option(args, "--jobs", 1000);
        var windowSeconds = JobCreationBenchmark.Option(args, "--window", 300);
        var connectionString = Environment.GetEnvironmentVariable("LORA_BENCH_POSTGRES")
                               ?? throw new InvalidOperationException("LORA_BENCH_POSTGRES is not set: run ./bench.sh webhooks");

        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await HostProcess.StartAsync(connectionString, new Dictionary<string, string>
        {
            ["GpuCluster:PollInterval"] = "00:00:10",
            ["GpuCluster:UseCallbacks"] = "false",
            ["Simulator:TimeScale"] = "60", // a job trains for about two minutes: all 1,000 run at once
            ["Webhooks:AllowInsecure"] = "true",
            ["Webhooks:AllowPrivateAddresses"] = "true",
        });
        using var client = host.ClientFor(await host.CreateUserAsync("bench-" + Guid.NewGuid().ToString("N")[..6]));
        var dataset = await HostProcess.ReadyDatasetAsync(client, 200);
        var created = await client.PostAsJsonAsync("/api/webhooks", new { url = receiver.UrlFor("bench"), events = new[] { "job.queued", "job.running", "job.succeeded", "job.failed" } });
        created.EnsureSuccessStatusCode();

        var body = new { dataset_id = dataset, preset_id = "custom", gpu_config = new { type = "A100-80GB", count = 1 }, hyperparameters = new { epochs = 20, batch_size = 1 } };
        Console.Error.WriteLine($"creating {jobs} jobs...");
        var createSeconds = await JobCreationBenchmark.TimeAsync(() => JobCreationBenchmark.RunConcurrentlyAsync(jobs, 32, async _ =>
            (await client.PostAsJsonAsync("/api/jobs", body)).EnsureSuccessStatusCode()));
        Console.Error.WriteLine($"created in {createSeconds:0} s; waiting for every job's queued, running and ended deliveries (at most {windowSeconds} s)...");

        var expected = jobs * 3;
        try
        {
            await receiver.WaitForAsync("bench", r => r.Count >= expected, TimeSpan.FromSeconds(windowSeconds));
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine("window over before every job ended: measuring what arrived");
        }

        var received = receiver.On("bench");
        var latencies = received.Select(r => (r.Type, Seconds: (r.At - r.Json["timestamp"]!.GetValue<DateTimeOffset>()).TotalSeconds)).ToList();
        var early = latencies.Where(l => l.Type is "job.queued" or "job.running").Select(l => l.Seconds).Order().ToList();
        var ended = latencies.Where(l => l.Type is "job.succeeded" or "job.failed").Select(l => l.Seconds).Order().ToList();
        var all = latencies.Select(l => l.Seconds).Order().ToList();
        var span = received.Count > 1 ? (received.Max(r => r.At) - received.Min(r => r.At)).TotalSeconds : 1;
        var duplicates = received.Count - received.Select(r => r.Id).Distinct().Count();
        var outOfOrder = received.GroupBy(r => r.Json["data"]!["id"]!.GetValue<Guid>())
            .Count(g => !g.Select(r => Rank(r.Type)).SequenceEqual(g.Select(r => Rank(r.Type)).Order()));

        var (dispatchLag, sendLag) = await LagsAsync(connectionString, host.Schema);

        Console.WriteLine();
        Console.WriteLine("| measure | value |");
        Console.WriteLine("| --- | ---: |");
        Console.WriteLine(Row("jobs (all running at once)", jobs.ToString(CultureInfo.InvariantCulture)));
        Console.WriteLine(Row("deliveries received (expected: 3 per job)", $"{received.Count} ({expected})"));
        Console.WriteLine(Row("deliveries per second, first to last arrival", $"{received.Count / span:0.0}"));
        Console.WriteLine(Row("latency from the event p50 / p99, all", Pair(all)));
        Console.WriteLine(Row("latency p50 / p99, job.queued + job.running during bulk creation", Pair(early)));
        Console.WriteLine(Row("latency p50 / p99, job.succeeded / failed while the others run", Pair(ended)));
        Console.WriteLine(Row("of which event to dispatch (the subscription) p50 / p99", Pair(dispatchLag)));
        Console.WriteLine(Row("of which dispatch to delivered (queue, checks, HTTP) p50 / p99", Pair(sendLag)));
        Console.WriteLine(Row("duplicate webhook-ids / jobs out of order", $"{duplicates} / {outOfOrder}"));
        Console.WriteLine(Row("bulk creation", $"{jobs / createSeconds:0} jobs/s"));
        return 0;
    }

    /// <summary>From the delivery log in the database: where the time between the event and the arrival went.</summary>
    private static async Task<(List<double> Dispatch, List<double> Send)> LagsAsync(string connectionString, string schema)
    {
        await using var db = Npgsql.NpgsqlDataSource.Create(connectionString);
        await using var command = db.CreateCommand($"""
            select extract(epoch from ((data->>'DispatchedAt')::timestamptz - (data->>'CreatedAt')::timestamptz))::float8,
                   extract(epoch from ((data->>'DeliveredAt')::timestamptz - (data->>'DispatchedAt')::timestamptz))::float8
            from "{schema}".mt_doc_webhookdelivery where data->>'DeliveredAt' is not null
            """);
        var (dispatch, send) = (new List<double>(), new List<double>());
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            dispatch.Add(reader.GetDouble(0));
            send.Add(reader.GetDouble(1));
        }

        return (dispatch.Order().ToList(), send.Order().ToList());
    }

    private static int Rank(string type) => type switch { "job.queued" => 0, "job.running" => 1, _ => 2 };

    private static string Pair(List<double> sorted) =>
        sorted.Count == 0 ? "-" : $"{Stats.Percentile(sorted, 50) * 1000:0} ms / {Stats.Percentile(sorted, 99) * 1000:0} ms";

    private static string Row(string name, string value) => $"| {name} | {value} |";
}
