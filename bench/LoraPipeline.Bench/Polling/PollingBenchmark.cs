using System.Globalization;
using System.Net.Http.Json;
using LoraPipeline.TestKit.Processes;
using LoraPipeline.Bench.Jobs;
using Npgsql;

namespace LoraPipeline.Bench.Polling;

/// <summary>
/// How many running jobs one Host drives at a 30-second poll interval against the in-process
/// simulator: polls per second achieved, poll lag (when a poll ran against when it was due, from
/// the events themselves), CPU of the Host and of PostgreSQL, and the time from create to
/// submitted, at a steady rate while all those jobs run.
/// </summary>
public static class PollingBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var jobs = JobCreationBenchmark.Option(args, "--jobs", 10_000);
        var windowSeconds = JobCreationBenchmark.Option(args, "--window", 180);
        var steadyCreates = JobCreationBenchmark.Option(args, "--steady", 300);
        var interval = TimeSpan.FromSeconds(JobCreationBenchmark.Option(args, "--interval", 30));
        var connectionString = Environment.GetEnvironmentVariable("LORA_BENCH_POSTGRES")
                               ?? throw new InvalidOperationException("LORA_BENCH_POSTGRES is not set: run ./bench.sh polling");

        await using var host = await HostProcess.StartAsync(connectionString, new Dictionary<string, string>
        {
            ["GpuCluster:PollInterval"] = interval.ToString("c", CultureInfo.InvariantCulture),
            ["GpuCluster:UseCallbacks"] = "false",
            ["Simulator:TimeScale"] = "10", // a job trains for about 12 minutes: longer than the measurement
        });
        using var client = host.ClientFor(await host.CreateUserAsync("bench-" + Guid.NewGuid().ToString("N")[..6]));
        var dataset = await HostProcess.ReadyDatasetAsync(client, 200);
        var body = new { dataset_id = dataset, preset_id = "custom", gpu_config = new { type = "A100-80GB", count = 1 }, hyperparameters = new { epochs = 20, batch_size = 1 } };

        Console.Error.WriteLine($"creating {jobs} jobs...");
        var createSeconds = await JobCreationBenchmark.TimeAsync(() => JobCreationBenchmark.RunConcurrentlyAsync(jobs, 32, async _ =>
            (await client.PostAsJsonAsync("/api/jobs", body)).EnsureSuccessStatusCode()));
        await using var db = NpgsqlDataSource.Create(connectionString);
        await WaitAllRunningAsync(db, host.Schema, jobs);
        Console.Error.WriteLine($"created in {createSeconds:0} s; all running; letting two poll cycles pass...");
        await Task.Delay(interval * 2);

        var start = DateTimeOffset.UtcNow;
        var (host0, machine0) = (host.CpuSeconds(), ProcCpu.MachineBusySeconds());
        await Task.Delay(TimeSpan.FromSeconds(windowSeconds));
        var end = DateTimeOffset.UtcNow;
        var hostCpu = (host.CpuSeconds() - host0) / windowSeconds * 100;
        var machineCpu = (ProcCpu.MachineBusySeconds() - machine0) / windowSeconds * 100;
        var lags = await PollLagsAsync(db, host.Schema, start, end, interval);

        Console.Error.WriteLine($"steady creates: {steadyCreates} at 10/s while the others run...");
        var steadyStart = DateTimeOffset.UtcNow;
        for (var i = 0; i < steadyCreates; i++)
        {
            var due = steadyStart.AddMilliseconds(i * 100);
            var wait = due - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            _ = client.PostAsJsonAsync("/api/jobs", body);
        }

        await WaitAllRunningAsync(db, host.Schema, jobs + steadyCreates);
        var toSubmitted = await CreateToSubmittedAsync(db, host.Schema, steadyStart);
        var bulkToSubmitted = await CreateToSubmittedAsync(db, host.Schema, DateTimeOffset.MinValue, before: steadyStart);

        var sortedLags = lags.Order().ToList();
        var sortedSubmit = toSubmitted.Order().ToList();
        var sortedBulk = bulkToSubmitted.Order().ToList();
        Console.WriteLine();
        Console.WriteLine("| measure | value |");
        Console.WriteLine("| --- | ---: |");
        Console.WriteLine(Row("running jobs", jobs.ToString(CultureInfo.InvariantCulture)));
        Console.WriteLine(Row("poll interval", $"{interval.TotalSeconds:0} s"));
        Console.WriteLine(Row("polls per second achieved (needed: jobs / interval)", $"{lags.Count / (double)windowSeconds:0.0} ({jobs / interval.TotalSeconds:0.0})"));
        Console.WriteLine(Row("poll lag p50 / p99 / max", $"{Stats.Percentile(sortedLags, 50) * 1000:0} ms / {Stats.Percentile(sortedLags, 99) * 1000:0} ms / {sortedLags.LastOrDefault() * 1000:0} ms"));
        Console.WriteLine(Row("Host CPU (of one core; 200% = both)", $"{hostCpu:0}%"));
        Console.WriteLine(Row("whole machine CPU, PostgreSQL and the load generator included (of one core)", $"{machineCpu:0}%"));
        Console.WriteLine(Row("create to submitted p50 / p99, 10 creates/s during the run", $"{Stats.Percentile(sortedSubmit, 50) * 1000:0} ms / {Stats.Percentile(sortedSubmit, 99) * 1000:0} ms"));
        Console.WriteLine(Row($"create to submitted p50 / p99, bulk creation of {jobs} at 32 in flight", $"{Stats.Percentile(sortedBulk, 50):0.0} s / {Stats.Percentile(sortedBulk, 99):0.0} s"));
        Console.WriteLine(Row("bulk creation", $"{jobs / createSeconds:0} jobs/s"));
        Console.WriteLine();
        Console.WriteLine($"window {windowSeconds} s: {lags.Count} polls measured");
        return 0;
    }

    private static string Row(string name, string value) => $"| {name} | {value} |";

    private static async Task WaitAllRunningAsync(NpgsqlDataSource db, string schema, int expected)
    {
        for (var i = 0; i < 3000; i++)
        {
            await using var command = db.CreateCommand($"select count(*) from \"{schema}\".mt_doc_trainingjob where status = 'Running'");
            if ((long)(await command.ExecuteScalarAsync())! >= expected)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("Not all jobs reached running.");
    }

    /// <summary>Lag of every poll recorded in the window: its time minus the previous poll's time minus the interval.</summary>
    private static async Task<List<double>> PollLagsAsync(NpgsqlDataSource db, string schema, DateTimeOffset start, DateTimeOffset end, TimeSpan interval)
    {
        var sql = $"""
            with polls as (
              select stream_id, (data->>'PollNumber')::int as n, (data->>'At')::timestamptz as at
              from "{schema}".mt_events
              where type in ('training_progress_recorded', 'cluster_status_check_failed') and data->>'PollNumber' is not null)
            select extract(epoch from (p.at - prev.at))::float8
            from polls p join polls prev on prev.stream_id = p.stream_id and prev.n = p.n - 1
            where p.at between $1 and $2
            """;
        await using var command = db.CreateCommand(sql);
        command.Parameters.AddWithValue(start);
        command.Parameters.AddWithValue(end);
        var lags = new List<double>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lags.Add(Math.Max(0, reader.GetDouble(0) - interval.TotalSeconds));
        }

        return lags;
    }

    private static async Task<List<double>> CreateToSubmittedAsync(NpgsqlDataSource db, string schema, DateTimeOffset after, DateTimeOffset? before = null)
    {
        var sql = $"""
            select extract(epoch from ((s.data->>'At')::timestamptz - (q.data->>'QueuedAt')::timestamptz))::float8
            from "{schema}".mt_events q join "{schema}".mt_events s on s.stream_id = q.stream_id and s.type = 'training_job_submitted'
            where q.type = 'training_job_queued' and (q.data->>'QueuedAt')::timestamptz >= $1 and (q.data->>'QueuedAt')::timestamptz < $2
            """;
        await using var command = db.CreateCommand(sql);
        command.Parameters.AddWithValue(after.UtcDateTime < DateTime.UnixEpoch ? DateTimeOffset.UnixEpoch : after);
        command.Parameters.AddWithValue(before ?? DateTimeOffset.MaxValue.AddDays(-1));
        var values = new List<double>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetDouble(0));
        }

        return values;
    }
}
