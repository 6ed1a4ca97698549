using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LoraPipeline.Bench.Jobs;
using LoraPipeline.TestKit.Processes;

namespace LoraPipeline.Bench.Reliability;

/// <summary>
/// Load and soak: with 1,000 jobs running (polled every 30 s, as in production), a steady,
/// open-loop mix of reads and writes on the API for 10 minutes. Latency counts from each request's
/// planned start, so a stalled server cannot hide behind a slowed-down load generator. Also
/// measured: the Host's memory over the run, and how long after an event is stored the cost and
/// notification projections have applied it.
/// </summary>
public static class SoakBenchmark
{
    private sealed record Operation(string Name, int Weight, Func<Soak, Task<HttpResponseMessage>> Send);

    private static readonly Operation[] Mix =
    [
        new("list jobs", 25, s => s.Client.GetAsync($"/api/jobs?page={s.Next(1, 20)}&limit=50")),
        new("get job", 25, s => s.Client.GetAsync($"/api/jobs/{s.AnyJob()}")),
        new("job history", 5, s => s.Client.GetAsync($"/api/jobs/{s.AnyJob()}/events?limit=50")),
        new("list notifications", 15, s => s.Client.GetAsync("/api/notifications?limit=20")),
        new("costs this month", 10, s => s.Client.GetAsync("/api/costs?period=month")),
        new("mark notification read", 5, s => s.MarkOneReadAsync()),
        new("create job", 8, s => s.CreateAsync()),
        new("cancel job", 7, s => s.CancelAsync()),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var jobs = JobCreationBenchmark.Option(args, "--jobs", 1000);
        var minutes = JobCreationBenchmark.Option(args, "--minutes", 10);
        var rate = JobCreationBenchmark.Option(args, "--rate", 50);
        var pushSeconds = JobCreationBenchmark.Option(args, "--push-interval", 30);
        await using var host = await HostProcess.StartAsync(ReliabilityBenchmarks.ConnectionString(), new Dictionary<string, string>
        {
            ["Simulator:TimeScale"] = "4", // 20 epochs train for about half an hour: every job outlives the run
            // a cluster's status pushes (the simulator's default of 2 s suits a demo, not 1,000 jobs)
            ["Simulator:CallbackInterval"] = TimeSpan.FromSeconds(pushSeconds).ToString("c", CultureInfo.InvariantCulture),
        });
        using var client = host.ClientFor(await host.CreateUserAsync("soak-" + Guid.NewGuid().ToString("N")[..6]));
        var dataset = await HostProcess.ReadyDatasetAsync(client, 200);
        var body = new { dataset_id = dataset, preset_id = "custom", gpu_config = new { type = "A100-80GB", count = 1 }, hyperparameters = new { epochs = 20, batch_size = 1 } };
        Console.Error.WriteLine($"creating {jobs} jobs...");
        var ids = await ScenarioJobs.CreateAsync([client], _ => body, jobs, parallelism: 16);
        await using var db = new ScenarioDatabase(ReliabilityBenchmarks.ConnectionString(), host.Schema);
        await HostProcess.UntilAsync(
            async () => await db.CountAsync($"select count(*) from \"{host.Schema}\".mt_doc_trainingjob where status = 'Running'") >= jobs,
            TimeSpan.FromMinutes(10), "every job is running");
        Console.Error.WriteLine("all running; 60 s of warm-up load...");

        var soak = new Soak(client, body, ids);
        await soak.RunAsync(rate, TimeSpan.FromSeconds(60), record: false);
        var rssStart = host.ResidentBytes();
        var (hostCpu0, machineCpu0) = (host.CpuSeconds(), ProcCpu.MachineBusySeconds());
        var seqStart = await db.ScalarAsync($"select coalesce(max(seq_id), 0) from \"{host.Schema}\".mt_events");
        Console.Error.WriteLine($"measuring {minutes} min at {rate} requests/s...");

        using var watching = new CancellationTokenSource();
        var progression = WatchProgressionAsync(db, watching.Token);
        var rss = new List<long> { rssStart };
        var sampler = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None);
                rss.Add(host.ResidentBytes());
            }
        });
        var window = Stopwatch.StartNew();
        await soak.RunAsync(rate, TimeSpan.FromMinutes(minutes), record: true);
        window.Stop();
        var seqEnd = await db.ScalarAsync($"select coalesce(max(seq_id), 0) from \"{host.Schema}\".mt_events");
        await HostProcess.UntilAsync(db.ProjectionsCaughtUpAsync, TimeSpan.FromMinutes(2), "the projections caught up after the run");
        await watching.CancelAsync();
        var samples = await progression;
        await sampler;
        var rssEnd = host.ResidentBytes();
        var hostCpu = (host.CpuSeconds() - hostCpu0) / window.Elapsed.TotalSeconds * 100;
        var machineCpu = (ProcCpu.MachineBusySeconds() - machineCpu0) / window.Elapsed.TotalSeconds * 100;
        var running = await db.CountAsync($"select count(*) from \"{host.Schema}\".mt_doc_trainingjob where status in ('Running', 'Initializing', 'Queued')");

        var rows = new List<(string, string)>
        {
            ("jobs running at start / at end (created and cancelled during the run)", $"{jobs} / {running} ({soak.Created} / {soak.Cancelled})"),
            ("requests (planned rate), duration", $"{soak.Results.Count:N0} ({rate}/s), {window.Elapsed.TotalMinutes:0.0} min"),
            ("server errors (5xx or no answer)", $"{soak.Results.Count(r => r.Status is >= 500 or 0)} ({100.0 * soak.Results.Count(r => r.Status is >= 500 or 0) / soak.Results.Count:0.00}%)"),
            ("expected refusals (409: cancel of a job that just ended)", $"{soak.Results.Count(r => r.Status == 409)}"),
            ("other 4xx", $"{soak.Results.Count(r => r.Status is >= 400 and < 500 and not 409)}"),
        };
        foreach (var operation in Mix)
        {
            var latencies = soak.Results.Where(r => r.Operation == operation.Name).Select(r => r.Milliseconds).Order().ToList();
            rows.Add(($"{operation.Name}: p50 / p99 latency ({latencies.Count:N0} requests)", $"{Stats.Percentile(latencies, 50):0.0} ms / {Stats.Percentile(latencies, 99):0.0} ms"));
        }

        var all = soak.Results.Select(r => r.Milliseconds).Order().ToList();
        rows.Add(("all requests: p50 / p99 latency", $"{Stats.Percentile(all, 50):0.0} ms / {Stats.Percentile(all, 99):0.0} ms"));
        // slow requests spread evenly point at steady overload; bunched in a few seconds, at stalls
        var slow = soak.Results.Where(r => r.Milliseconds > 250).ToList();
        rows.Add(("requests over 250 ms (seconds of the run they fell in)", $"{slow.Count:N0} ({slow.Select(r => r.PlannedSecond).Distinct().Count()} of {window.Elapsed.TotalSeconds:0} s)"));
        // progression names are "<projection>:All"; these parts tell the three apart
        foreach (var (projection, namePart) in new[] { ("cost records", "costrecordsprojection"), ("daily costs", "dailycost"), ("notifications", "notificationinboxprojection") })
        {
            var lags = await ProjectionLagsAsync(db, samples, namePart, seqStart, seqEnd);
            rows.Add(($"{projection} projection lag p50 / p99 / max ({lags.Count:N0} events; target p99 < 1 s)",
                $"{Stats.Percentile(lags, 50):0} ms / {Stats.Percentile(lags, 99):0} ms / {lags.LastOrDefault():0} ms"));
        }

        rows.Add(("Host resident memory after warm-up / at the end / highest (bound: +25%)", $"{Mb(rssStart)} / {Mb(rssEnd)} / {Mb(rss.Max())} ({100.0 * (rssEnd - rssStart) / rssStart:+0;-0}%)"));
        rows.Add(("Host CPU / whole machine (of one core; 200% = both)", $"{hostCpu:0}% / {machineCpu:0}%"));
        ReliabilityBenchmarks.PrintTable([.. rows]);
        Console.WriteLine("memory every 30 s (MB): " + string.Join(' ', rss.Select(Mb)));
        Console.WriteLine("seconds with the most requests over 250 ms (second: count): " + string.Join(", ", slow.GroupBy(r => r.PlannedSecond)
            .OrderByDescending(g => g.Count()).Take(12).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}")));
        Console.WriteLine("answers: " + string.Join(", ", soak.Results.GroupBy(r => (r.Operation, r.Status)).OrderBy(g => g.Key.Operation, StringComparer.Ordinal)
            .Select(g => $"{g.Key.Operation} {g.Key.Status}: {g.Count()}")));
        foreach (var line in host.ErrorLog.Take(5))
        {
            Console.WriteLine("host error: " + (line.Length > 600 ? line[..600] : line));
        }
        return 0;
    }

    private static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " MB";

    /// <summary>Every 50 ms: each projection's progress, with the time it was read.</summary>
    private static async Task<List<(DateTimeOffset At, string Name, long Seq)>> WatchProgressionAsync(ScenarioDatabase db, CancellationToken stop)
    {
        var samples = new List<(DateTimeOffset, string, long)>();
        while (!stop.IsCancellationRequested)
        {
            var at = DateTimeOffset.UtcNow;
            samples.AddRange(await db.RowsAsync($"select name, last_seq_id from \"{db.Schema}\".mt_event_progression where name like '%:All'",
                r => (at, r.GetString(0), r.GetInt64(1))));
            await Task.Delay(50, CancellationToken.None); // the sampling period of the measurement
        }

        return samples;
    }

    /// <summary>
    /// For each event stored during the run: the first sample that saw the projection past it, minus
    /// the event's own timestamp (both from this machine's clock; resolution about 50 ms).
    /// </summary>
    private static async Task<List<double>> ProjectionLagsAsync(ScenarioDatabase db, List<(DateTimeOffset At, string Name, long Seq)> samples, string namePart, long fromSeq, long toSeq)
    {
        var progress = samples.Where(s => s.Name.Contains(namePart, StringComparison.OrdinalIgnoreCase)).OrderBy(s => s.At).ToList();
        var events = await db.RowsAsync($"select seq_id, timestamp from \"{db.Schema}\".mt_events where seq_id > {fromSeq} and seq_id <= {toSeq} order by seq_id",
            r => (Seq: r.GetInt64(0), At: r.GetFieldValue<DateTimeOffset>(1)));
        var lags = new List<double>();
        var i = 0;
        foreach (var e in events)
        {
            while (i < progress.Count && progress[i].Seq < e.Seq)
            {
                i++;
            }

            if (i < progress.Count)
            {
                lags.Add(Math.Max(0, (progress[i].At - e.At).TotalMilliseconds));
            }
        }

        lags.Sort();
        return lags;
    }

    /// <summary>The load generator: requests started on a fixed schedule, whatever earlier ones are doing.</summary>
    private sealed class Soak(HttpClient client, object body, List<Guid> jobs)
    {
        private readonly ConcurrentQueue<Guid> _running = new(jobs.OrderBy(_ => Random.Shared.Next()));
        private readonly List<Guid> _known = [.. jobs];
        private int _created;
        private int _cancelled;

        public HttpClient Client { get; } = client;
        public ConcurrentBag<(string Operation, int Status, double Milliseconds, int PlannedSecond)> Results { get; private set; } = [];
        public int Created => _created;
        public int Cancelled => _cancelled;

        public int Next(int from, int to) => Random.Shared.Next(from, to);

        public Guid AnyJob()
        {
            lock (_known)
            {
                return _known[Random.Shared.Next(_known.Count)];
            }
        }

        public async Task RunAsync(int rate, TimeSpan duration, bool record)
        {
            Results = [];
            var total = (int)(rate * duration.TotalSeconds);
            var weights = Mix.Sum(o => o.Weight);
            var clock = Stopwatch.StartNew();
            var inFlight = new List<Task>(total);
            for (var i = 0; i < total; i++)
            {
                var planned = TimeSpan.FromSeconds(i / (double)rate);
                var wait = planned - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                var pick = Random.Shared.Next(weights);
                var operation = Mix.First(o => (pick -= o.Weight) < 0);
                inFlight.Add(SendAsync(operation, planned, clock, record));
            }

            await Task.WhenAll(inFlight);
        }

        private async Task SendAsync(Operation operation, TimeSpan planned, Stopwatch clock, bool record)
        {
            int status;
            try
            {
                using var response = await operation.Send(this);
                status = (int)response.StatusCode;
            }
            catch (HttpRequestException)
            {
                status = 0;
            }

            if (record)
            {
                Results.Add((operation.Name, status, (clock.Elapsed - planned).TotalMilliseconds, (int)planned.TotalSeconds));
            }
        }

        public async Task<HttpResponseMessage> CreateAsync()
        {
            var response = await Client.PostAsJsonAsync("/api/jobs", body);
            if (response.IsSuccessStatusCode)
            {
                var id = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!["id"]!.GetValue<Guid>();
                _running.Enqueue(id);
                lock (_known)
                {
                    _known.Add(id);
                }

                Interlocked.Increment(ref _created);
            }

            return response;
        }

        public async Task<HttpResponseMessage> CancelAsync()
        {
            if (!_running.TryDequeue(out var id))
            {
                return await Client.GetAsync("/api/jobs?limit=1");
            }

            var response = await Client.PostAsync($"/api/jobs/{id}/cancel", null);
            if (response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref _cancelled);
            }

            return response;
        }

        public async Task<HttpResponseMessage> MarkOneReadAsync()
        {
            var unread = JsonNode.Parse(await Client.GetStringAsync("/api/notifications?unread=true&limit=1"))!["data"]!["notifications"]!.AsArray();
            return unread.Count == 0
                ? await Client.GetAsync("/api/notifications?limit=1")
                : await Client.PatchAsync($"/api/notifications/{unread[0]!["id"]!.GetValue<Guid>()}/read", null);
        }
    }
}
