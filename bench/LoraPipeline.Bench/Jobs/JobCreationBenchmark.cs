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
/// the same concurrency, and two floors that show what any request costs here: HTTP alone, and HTTP
/// with the API key read. Submission to the simulated cluster runs in the background, as it does
/// in production; each run starts once the machine is quiet again.
/// </summary>
public static class JobCreationBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var jobs = Option(args, "--jobs", 2000);
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

        // the Npgsql settings the Host uses (Database:MaxAutoPrepare), so the two differ only in what they do
        await using var baselineSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = 64, AutoPrepareMinUsages = 2 });
        await using (var create = baselineSource.CreateCommand(
                         "create table if not exists bench_plain_jobs (id uuid primary key, user_id uuid, dataset_id uuid, payload jsonb, created_at timestamptz)"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var payload = JsonSerializer.Serialize(new { body, status = "queued", hyperparameters = new { learning_rate = 0.00005, batch_size = 4, num_epochs = 3, lora_rank = 16, lora_alpha = 32 } });
        var rows = new (string Name, Func<Task> Request)[]
        {
            ("baseline: INSERT into a plain table (Npgsql)", async () =>
            {
                await using var insert = baselineSource.CreateCommand("insert into bench_plain_jobs values ($1, $2, $3, $4, now())");
                insert.Parameters.AddWithValue(Guid.NewGuid());
                insert.Parameters.AddWithValue(Guid.NewGuid());
                insert.Parameters.AddWithValue(dataset);
                insert.Parameters.AddWithValue(NpgsqlDbType.Jsonb, payload);
                await insert.ExecuteNonQueryAsync();
            }),
            ("floor: GET /health/live (HTTP only: no key, no database)", async () => (await client.GetAsync("/health/live")).EnsureSuccessStatusCode()),
            ("floor: GET /api/me (HTTP and the API key read every request makes)", async () => (await client.GetAsync("/api/me")).EnsureSuccessStatusCode()),
            ("POST /api/jobs (HTTP, key, dataset and budget checks, event stream + outbox)", async () => (await client.PostAsJsonAsync("/api/jobs", body)).EnsureSuccessStatusCode()),
        };

        // warm-up: one untimed run of each row, so the JIT has compiled the hot paths at their final tier
        // (with 50 requests, a quarter of the Host's CPU in the timed rounds was still the JIT)
        foreach (var (_, request) in rows)
        {
            await RunConcurrentlyAsync(jobs, concurrency, _ => request());
        }

        // every run starts on a quiet machine: the submissions behind one round's creates must not slow the next run
        var seconds = rows.Select(_ => new List<double>()).ToArray();
        var hostCpu = new List<double>();
        var otherCpu = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            for (var row = 0; row < rows.Length; row++)
            {
                await WaitForQuietMachineAsync();
                var request = rows[row].Request;
                var (host0, machine0) = (host.CpuSeconds(), ProcCpu.MachineBusySeconds());
                seconds[row].Add(await TimeAsync(() => RunConcurrentlyAsync(jobs, concurrency, _ => request())));
                if (row == rows.Length - 1)
                {
                    // a job's whole cost: its create and the submission behind it, until the machine is quiet again
                    await WaitForQuietMachineAsync();
                    var hostSeconds = host.CpuSeconds() - host0;
                    hostCpu.Add(hostSeconds * 1000 / jobs);
                    otherCpu.Add((ProcCpu.MachineBusySeconds() - machine0 - hostSeconds) * 1000 / jobs);
                }
            }
        }

        await using (var drop = baselineSource.CreateCommand("drop table bench_plain_jobs"))
        {
            await drop.ExecuteNonQueryAsync();
        }

        var baselineRate = jobs / Stats.Median(seconds[0]);
        Console.WriteLine();
        Console.WriteLine("| run | requests | concurrency | median s | per second | ratio to baseline |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        for (var row = 0; row < rows.Length; row++)
        {
            var rate = jobs / Stats.Median(seconds[row]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {rows[row].Name} | {jobs} | {concurrency} | {Stats.Median(seconds[row]):0.00} | {rate:0} | {rate / baselineRate:0.00} |"));
        }

        // no create can beat a request that authenticates and then writes one plain row: add the two rows' costs
        var boundRate = 1 / (1 / (jobs / Stats.Median(seconds[2])) + 1 / baselineRate);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| bound (derived): the API key request plus one plain INSERT, their times added | | | | {boundRate:0} | {boundRate / baselineRate:0.00} |"));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"CPU per job, create and submission to the in-process simulator until the machine is quiet (median): Host {Stats.Median(hostCpu):0.0} ms, everything else (PostgreSQL, the load generator) {Stats.Median(otherCpu):0.0} ms"));
        for (var row = 0; row < rows.Length; row++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"rounds (s) {rows[row].Name}: {string.Join(", ", seconds[row].Select(a => a.ToString("0.00", CultureInfo.InvariantCulture)))}"));
        }

        return 0;
    }

    /// <summary>Waits (at most 2 minutes) until the machine spends under a tenth of one core in a second; says so when it never does.</summary>
    private static async Task WaitForQuietMachineAsync()
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            var before = ProcCpu.MachineBusySeconds();
            await Task.Delay(TimeSpan.FromSeconds(1));
            if (ProcCpu.MachineBusySeconds() - before < 0.1)
            {
                return;
            }
        }

        Console.Error.WriteLine("warning: the machine stayed busy for 2 minutes (something else running?); the next run is measured anyway and may be slower");
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
