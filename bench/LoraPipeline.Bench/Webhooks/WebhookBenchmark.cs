using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LoraPipeline.Bench.Jobs;
using LoraPipeline.TestKit;
using LoraPipeline.TestKit.Processes;

namespace LoraPipeline.Bench.Webhooks;

/// <summary>
/// Webhook deliveries from one Host to a receiver on loopback, latency measured from the event (the receiver's
/// arrival time minus the payload's timestamp, which is the event's time in the event store), in two scenarios:
/// <list type="bullet">
/// <item><b>burst</b>: 1,000 jobs created as fast as 32 clients can (about 130 a second here), all running at once,
/// until every job's queued, running and ended deliveries have arrived: the most the module delivers;</item>
/// <item><b>steady</b>: 1,000 long jobs running (and polled) the whole time, while short jobs are created at a steady
/// rate (<c>--rate</c> a second for <c>--seconds</c>) and their deliveries are measured: a busy platform.</item>
/// </list>
/// Each runs in a Host of its own; the burst runs twice, first with Marten's default hopper for the dispatch
/// subscription as the baseline; <c>--scenario burst|steady</c> runs one.
/// </summary>
public static class WebhookBenchmark
{
    private static readonly string[] JobEvents = ["job.queued", "job.running", "job.succeeded", "job.failed"];

    public static async Task<int> RunAsync(string[] args)
    {
        var jobs = JobCreationBenchmark.Option(args, "--jobs", 1000);
        var windowSeconds = JobCreationBenchmark.Option(args, "--window", 300);
        var rate = JobCreationBenchmark.Option(args, "--rate", 2);
        var seconds = JobCreationBenchmark.Option(args, "--seconds", 60);
        var scenario = args.SkipWhile(a => a != "--scenario").Skip(1).FirstOrDefault() ?? "both";
        var connectionString = Environment.GetEnvironmentVariable("LORA_BENCH_POSTGRES")
                               ?? throw new InvalidOperationException("LORA_BENCH_POSTGRES is not set: run ./bench.sh webhooks");

        var tables = new List<string>();
        if (scenario is "both" or "burst")
        {
            // the baseline: the dispatch subscription with Marten's default hopper, in the same run
            var baseline = await BurstAsync(connectionString, jobs, windowSeconds, hopper: 2500);
            var tuned = await BurstAsync(connectionString, jobs, windowSeconds, hopper: null);
            tables.Add(Merge($"burst: {jobs} jobs created at once, all running", ["dispatch hopper 2,500 (Marten's default)", "hopper 50 (ours)"], baseline, tuned));
        }

        if (scenario is "both" or "steady")
        {
            tables.Add(Merge($"steady: {jobs} long jobs running, {rate} short jobs created a second for {seconds} s", ["value"],
                await SteadyAsync(connectionString, jobs, rate, seconds, windowSeconds)));
        }

        foreach (var table in tables)
        {
            Console.WriteLine();
            Console.WriteLine(table);
        }

        return 0;
    }

    private static async Task<List<(string Measure, string Value)>> BurstAsync(string connectionString, int jobs, int windowSeconds, int? hopper)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await StartHostAsync(connectionString, hopper);
        using var client = await ClientWithWebhookAsync(host, receiver);
        var dataset = await HostProcess.ReadyDatasetAsync(client, 200);

        Console.Error.WriteLine($"burst: creating {jobs} jobs...");
        var createSeconds = await JobCreationBenchmark.TimeAsync(() => CreateJobsAsync(client, dataset, jobs, epochs: 20));
        Console.Error.WriteLine($"created in {createSeconds:0} s; waiting for every job's queued, running and ended deliveries (at most {windowSeconds} s)...");
        await WaitForAsync(receiver, jobs * 3, windowSeconds);

        var received = receiver.On("bench");
        var early = Latencies(received.Where(r => r.Type is "job.queued" or "job.running"));
        var ended = Latencies(received.Where(r => r.Type is "job.succeeded" or "job.failed"));
        return Measures(received, jobs * 3, await LagsAsync(connectionString, host.Schema), [
            ("latency p50 / p99, job.queued + job.running during bulk creation", Pair(early)),
            ("latency p50 / p99, job.succeeded / failed while the others run", Pair(ended)),
            ("bulk creation", $"{jobs / createSeconds:0} jobs/s"),
        ]);
    }

    private static async Task<List<(string Measure, string Value)>> SteadyAsync(string connectionString, int jobs, int rate, int seconds, int windowSeconds)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await StartHostAsync(connectionString, hopper: null);
        using var client = await ClientWithWebhookAsync(host, receiver);
        // 2,000 examples of about 1,000 tokens, 20 epochs: over ten minutes at this time scale, so the background
        // runs the whole time
        var longDataset = await HostProcess.ReadyDatasetAsync(client, 2000, extraWords: 800);
        var shortDataset = await HostProcess.ReadyDatasetAsync(client, 20);

        Console.Error.WriteLine($"steady: starting {jobs} long jobs...");
        await CreateJobsAsync(client, longDataset, jobs, epochs: 20);
        await WaitForAsync(receiver, jobs * 2, windowSeconds); // every long job queued and running

        Console.Error.WriteLine($"{jobs} jobs running; creating {rate} short jobs a second for {seconds} s...");
        var shortJobs = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        var creations = new List<Task>();
        var started = DateTimeOffset.UtcNow;
        for (var i = 0; i < rate * seconds; i++)
        {
            var due = started + TimeSpan.FromSeconds((double)i / rate);
            if (due > DateTimeOffset.UtcNow)
            {
                await Task.Delay(due - DateTimeOffset.UtcNow);
            }

            creations.Add(CreateJobsAsync(client, shortDataset, 1, epochs: 1, shortJobs));
        }

        await Task.WhenAll(creations);
        var ids = shortJobs.ToHashSet();
        await receiver.WaitForAsync("bench", r => r.Count(w => ids.Contains(JobOf(w))) >= ids.Count * 3, TimeSpan.FromSeconds(windowSeconds))
            .ContinueWith(_ => { }); // a time-out measures what arrived
        var all = receiver.On("bench");
        var measured = all.Where(r => ids.Contains(JobOf(r))).ToList();
        var longEnded = all.Count(r => !ids.Contains(JobOf(r)) && r.Type is "job.succeeded" or "job.failed");
        return Measures(measured, ids.Count * 3, await LagsAsync(connectionString, host.Schema, started), [
            ("long jobs that ended during the measurement (expected 0)", longEnded.ToString(CultureInfo.InvariantCulture)),
        ]);
    }

    private static Guid JobOf(ReceivedWebhook r) => r.Json["data"]!["id"]!.GetValue<Guid>();

    private static Task<HostProcess> StartHostAsync(string connectionString, int? hopper) =>
        HostProcess.StartAsync(connectionString, new Dictionary<string, string>
        {
            ["Webhooks:DispatchHopperSize"] = hopper?.ToString(CultureInfo.InvariantCulture) ?? "50",
            ["GpuCluster:PollInterval"] = "00:00:10",
            ["GpuCluster:UseCallbacks"] = "false",
            ["Simulator:TimeScale"] = "60",
            ["Webhooks:AllowInsecure"] = "true",
            ["Webhooks:AllowPrivateAddresses"] = "true",
        });

    private static async Task<HttpClient> ClientWithWebhookAsync(HostProcess host, WebhookReceiver receiver)
    {
        var client = host.ClientFor(await host.CreateUserAsync("bench-" + Guid.NewGuid().ToString("N")[..6]));
        (await client.PostAsJsonAsync("/api/webhooks", new { url = receiver.UrlFor("bench"), events = JobEvents })).EnsureSuccessStatusCode();
        return client;
    }

    private static Task CreateJobsAsync(HttpClient client, Guid dataset, int count, int epochs, System.Collections.Concurrent.ConcurrentBag<Guid>? ids = null)
    {
        var body = new { dataset_id = dataset, preset_id = "custom", gpu_config = new { type = "A100-80GB", count = 1 }, hyperparameters = new { epochs, batch_size = 1 } };
        return JobCreationBenchmark.RunConcurrentlyAsync(count, 32, async _ =>
        {
            using var created = (await client.PostAsJsonAsync("/api/jobs", body)).EnsureSuccessStatusCode();
            ids?.Add(JsonNode.Parse(await created.Content.ReadAsStringAsync())!["data"]!["id"]!.GetValue<Guid>());
        });
    }

    private static async Task WaitForAsync(WebhookReceiver receiver, int count, int windowSeconds)
    {
        try
        {
            await receiver.WaitForAsync("bench", r => r.Count >= count, TimeSpan.FromSeconds(windowSeconds));
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine("window over before every delivery arrived: measuring what arrived");
        }
    }

    private static List<(string Measure, string Value)> Measures(
        IReadOnlyList<ReceivedWebhook> received, int expected, (List<double> Dispatch, List<double> Send) lags, (string, string)[] extra)
    {
        var span = received.Count > 1 ? (received.Max(r => r.At) - received.Min(r => r.At)).TotalSeconds : 1;
        var duplicates = received.Count - received.Select(r => r.Id).Distinct().Count();
        var outOfOrder = received.GroupBy(JobOf)
            .Count(g => !g.Select(r => Rank(r.Type)).SequenceEqual(g.Select(r => Rank(r.Type)).Order()));
        return
        [
            ("deliveries received (expected)", $"{received.Count} ({expected})"),
            ("deliveries per second, first to last arrival", $"{received.Count / span:0.0}"),
            ("latency from the event p50 / p99, all", Pair(Latencies(received))),
            ("of which event to dispatch (the subscription) p50 / p99", Pair(lags.Dispatch)),
            ("of which dispatch to delivered (queue, checks, HTTP) p50 / p99", Pair(lags.Send)),
            ("duplicate webhook-ids / jobs out of order", $"{duplicates} / {outOfOrder}"),
            .. extra,
        ];
    }

    /// <summary>A markdown table with a column per run of the same measures.</summary>
    private static string Merge(string title, string[] columns, params List<(string Measure, string Value)>[] runs)
    {
        var lines = new List<string>
        {
            $"**{title}**", "", $"| measure | {string.Join(" | ", columns)} |", $"| --- |{string.Concat(columns.Select(_ => " ---: |"))}",
        };
        lines.AddRange(runs[0].Select((row, i) => $"| {row.Measure} | {string.Join(" | ", runs.Select(r => r[i].Value))} |"));
        return string.Join('\n', lines);
    }

    private static List<double> Latencies(IEnumerable<ReceivedWebhook> received) =>
        received.Select(r => (r.At - r.Json["timestamp"]!.GetValue<DateTimeOffset>()).TotalSeconds).Order().ToList();

    /// <summary>From the delivery log in the database (events after <paramref name="since"/>): where the time between the event and the arrival went.</summary>
    private static async Task<(List<double> Dispatch, List<double> Send)> LagsAsync(string connectionString, string schema, DateTimeOffset? since = null)
    {
        await using var db = Npgsql.NpgsqlDataSource.Create(connectionString);
        await using var command = db.CreateCommand($"""
            select extract(epoch from ((data->>'DispatchedAt')::timestamptz - (data->>'CreatedAt')::timestamptz))::float8,
                   extract(epoch from ((data->>'DeliveredAt')::timestamptz - (data->>'DispatchedAt')::timestamptz))::float8
            from "{schema}".mt_doc_webhookdelivery where data->>'DeliveredAt' is not null and (data->>'CreatedAt')::timestamptz >= $1
            """);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = since ?? DateTimeOffset.MinValue.ToUniversalTime() });
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
}
