using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using LoraPipeline.TestKit.Processes;
using Npgsql;
using NpgsqlTypes;

namespace LoraPipeline.Bench.Jobs;

/// <summary>
/// Job creations per second through the HTTP API (validation, dataset lookup, estimate, the job's
/// stream started with its outbox message, the view read back), beside a baseline in the same run
/// that inserts the same number of rows of a similar payload into a plain table over Npgsql with
/// the same concurrency. Submission to the simulated cluster runs in the background meanwhile, as
/// it does in production.
/// </summary>
public static class JobCreationBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var jobs = Option(args, "--jobs", 1000);
        var concurrency = Option(args, "--concurrency", 16);
        var rounds = Option(args, "--rounds", 3);
        var connectionString = Environment.GetEnvironmentVariable("LORA_BENCH_POSTGRES")
                               ?? throw new InvalidOperationException("LORA_BENCH_POSTGRES is not set: run ./bench.sh jobs");

        await using var host = await HostProcess.StartAsync(connectionString, new Dictionary<string, string>
        {
            ["GpuCluster:PollInterval"] = "00:10:00",
            ["GpuCluster:UseCallbacks"] = "false",
            ["Simulator:TimeScale"] = "1",
        });
        using var client = host.ClientFor(await host.CreateUserAsync("bench-" + Guid.NewGuid().ToString("N")[..6]));
        var dataset = await HostProcess.ReadyDatasetAsync(client, 200);
        var body = new { dataset_id = dataset, preset_id = "balanced", gpu_config = new { type = "A100-80GB", count = 2 } };

        await RunConcurrentlyAsync(50, concurrency, async _ => (await client.PostAsJsonAsync("/api/jobs", body)).EnsureSuccessStatusCode()); // warm-up

        await using var baselineSource = NpgsqlDataSource.Create(connectionString);
        await using (var create = baselineSource.CreateCommand(
                         "create table if not exists bench_plain_jobs (id uuid primary key, user_id uuid, dataset_id uuid, payload jsonb, created_at timestamptz)"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var payload = JsonSerializer.Serialize(new { body, status = "queued", hyperparameters = new { learning_rate = 0.00005, batch_size = 4, num_epochs = 3, lora_rank = 16, lora_alpha = 32 } });
        var api = new List<double>();
        var plain = new List<double>();
        var hostCpu = new List<double>();
        var postgresCpu = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var (host0, machine0) = (host.CpuSeconds(), ProcCpu.MachineBusySeconds());
            api.Add(await TimeAsync(() => RunConcurrentlyAsync(jobs, concurrency, async _ =>
                (await client.PostAsJsonAsync("/api/jobs", body)).EnsureSuccessStatusCode())));
            hostCpu.Add((host.CpuSeconds() - host0) * 1000 / jobs);
            postgresCpu.Add((ProcCpu.MachineBusySeconds() - machine0 - (host.CpuSeconds() - host0)) * 1000 / jobs);
            plain.Add(await TimeAsync(() => RunConcurrentlyAsync(jobs, concurrency, async _ =>
            {
                await using var insert = baselineSource.CreateCommand("insert into bench_plain_jobs values ($1, $2, $3, $4, now())");
                insert.Parameters.AddWithValue(Guid.NewGuid());
                insert.Parameters.AddWithValue(Guid.NewGuid());
                insert.Parameters.AddWithValue(dataset);
                insert.Parameters.AddWithValue(NpgsqlDbType.Jsonb, payload);
                await insert.ExecuteNonQueryAsync();
            })));
        }

        await using (var drop = baselineSource.CreateCommand("drop table bench_plain_jobs"))
        {
            await drop.ExecuteNonQueryAsync();
        }

        var apiRate = jobs / Stats.Median(api);
        var plainRate = jobs / Stats.Median(plain);
        Console.WriteLine();
        Console.WriteLine("| run | jobs | concurrency | median s | per second | ratio to baseline |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| baseline: INSERT into a plain table (Npgsql) | {jobs} | {concurrency} | {Stats.Median(plain):0.00} | {plainRate:0} | 1.00 |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| POST /api/jobs (HTTP, event stream + outbox) | {jobs} | {concurrency} | {Stats.Median(api):0.00} | {apiRate:0} | {apiRate / plainRate:0.00} |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CPU per job during the API rounds (median): Host {Stats.Median(hostCpu):0.0} ms, everything else (PostgreSQL, the load generator) {Stats.Median(postgresCpu):0.0} ms; the Host's share includes the background submissions to the in-process simulator"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rounds (s): api {string.Join(", ", api.Select(a => a.ToString("0.00", CultureInfo.InvariantCulture)))}; baseline {string.Join(", ", plain.Select(a => a.ToString("0.00", CultureInfo.InvariantCulture)))}"));
        return 0;
    }

    public static async Task RunConcurrentlyAsync(int count, int concurrency, Func<int, Task> work)
    {
        var next = -1;
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await work(i);
            }
        });
        await Task.WhenAll(workers);
    }

    public static async Task<double> TimeAsync(Func<Task> work)
    {
        var watch = Stopwatch.StartNew();
        await work();
        return watch.Elapsed.TotalSeconds;
    }

    public static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
