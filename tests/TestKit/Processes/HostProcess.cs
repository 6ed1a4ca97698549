using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using LoraPipeline.Testing;
using Npgsql;

namespace LoraPipeline.TestKit.Processes;

/// <summary>
/// The real Host (the build of this configuration, Kestrel on a free port) in a process of its own,
/// as in production: benchmarks and the reliability suite drive it over HTTP, read its CPU time
/// from /proc, kill it with SIGKILL and start it again on the same database.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private Process _process;
    private readonly Dictionary<string, string> _environment;
    private readonly ConcurrentQueue<string> _errors;

    /// <summary>The last lines the current process wrote, whatever their level: what a start that failed said.</summary>
    private static readonly ConditionalWeakTable<Process, ConcurrentQueue<string>> Tails = new();

    private HostProcess(Process process, ConcurrentQueue<string> errors, Dictionary<string, string> environment, string url, string connectionString, string schema)
    {
        _process = process;
        _errors = errors;
        _environment = environment;
        Url = url;
        ConnectionString = connectionString;
        Schema = schema;
        Http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) };
    }

    public string Url { get; }
    public string ConnectionString { get; }
    public string Schema { get; }
    public HttpClient Http { get; }
    public int Pid => _process.Id;

    public static string RepositoryRoot() => HostCommand.RepositoryRoot();

    public static async Task<HostProcess> StartAsync(string connectionString, IDictionary<string, string> settings)
    {
        var root = RepositoryRoot();
        var schema = "bench_" + Guid.NewGuid().ToString("N")[..8];
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var blobs = Path.Combine(Path.GetTempPath(), "lora-bench", schema);
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Benchmark",
            ["ConnectionStrings__Postgres"] = connectionString,
            ["Database__Schema"] = schema,
            ["Simulator__Schema"] = schema + "_sim",
            ["Storage__Root"] = blobs,
            ["Storage__SigningKey"] = "bench-signing-key-" + Guid.NewGuid().ToString("N"),
            ["Storage__PublicBaseUrl"] = url,
            ["GpuCluster__ApiKey"] = "bench-cluster-key",
            ["GpuCluster__CallbackSecret"] = "bench-callback-secret-0123456789",
            ["Wolverine__CodegenMode"] = "Dynamic",
            ["Logging__LogLevel__Default"] = "Warning",
            // the scenarios and benchmarks drive the platform with one user harder than one user may (thousands of
            // jobs, hundreds of requests a second): per-user limits off here, tested on their own
            ["Limits__RequestsPerSecond"] = "0",
            ["Training__MaxActiveJobsPerUser"] = "0",
        };
        foreach (var (key, value) in settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var errors = new ConcurrentQueue<string>();
        var host = new HostProcess(Launch(root, environment, url, errors), errors, environment, url, connectionString, schema);
        await host.WaitReadyOrRelaunchOnceAsync();
        return host;
    }

    /// <summary>SIGKILL: no shutdown, no flush, whatever was in flight is cut off.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Starts the Host again with the same settings (but <paramref name="changes"/>: null removes one), database and port.</summary>
    public async Task RestartAsync(IReadOnlyDictionary<string, string?>? changes = null)
    {
        foreach (var (key, value) in changes ?? new Dictionary<string, string?>())
        {
            var name = key.Replace(":", "__", StringComparison.Ordinal);
            if (value is null)
            {
                _environment.Remove(name);
            }
            else
            {
                _environment[name] = value;
            }
        }

        _process = Launch(RepositoryRoot(), _environment, Url, _errors);
        await WaitReadyOrRelaunchOnceAsync();
    }

    /// <summary>
    /// A process that exits before it is ready is launched once more, its last lines printed: on this shared machine a
    /// start has failed now and then in the full suite (exit 0 within seconds), which is the harness's luck, not the
    /// behaviour a scenario tests. A second failure fails the test with what the process said.
    /// </summary>
    private async Task WaitReadyOrRelaunchOnceAsync()
    {
        try
        {
            await WaitReadyAsync();
        }
        catch (HostExitedAtStartException first)
        {
            Console.Error.WriteLine($"[host-process] {first.Message}; launching it once more");
            _process = Launch(RepositoryRoot(), _environment, Url, _errors);
            await WaitReadyAsync();
        }
    }

    /// <summary>Waits until the process has exited by itself (a fault that makes it die), at most <paramref name="timeout"/>.</summary>
    public async Task<bool> ExitedWithinAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The Host's blob folder (Storage:Root).</summary>
    public string BlobRoot => _environment["Storage__Root"];

    /// <summary>
    /// Another node of the same platform (run with Cluster:Mode=Balanced): the same database, schema,
    /// blob root and secrets, its own port. Disposing it leaves the shared schemas alone.
    /// </summary>
    public async Task<HostProcess> StartPeerAsync()
    {
        var url = $"http://127.0.0.1:{FreePort()}";
        var environment = new Dictionary<string, string>(_environment) { ["Storage__PublicBaseUrl"] = url };
        var errors = new ConcurrentQueue<string>();
        var peer = new HostProcess(Launch(RepositoryRoot(), environment, url, errors), errors, environment, url, ConnectionString, Schema) { KeepSchemas = true };
        await peer.WaitReadyAsync();
        return peer;
    }

    /// <summary>Resident memory of the Host process, in bytes (VmRSS from /proc).</summary>
    public long ResidentBytes()
    {
        var line = File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>Keep the schemas after disposal (to look at them).</summary>
    public bool KeepSchemas { get; set; }

    /// <summary>The Host's first 200 log lines at Error or Critical level (JSON console logs), to explain a failure.</summary>
    public IReadOnlyCollection<string> ErrorLog => _errors;

    private static Process Launch(string root, Dictionary<string, string> environment, string url, ConcurrentQueue<string> errors)
    {
        var process = Process.Start(Start(root, environment, "--urls", url)) ?? throw new InvalidOperationException("The Host did not start.");
        // LORA_HOST_LOG_DIR keeps every line each Host writes, one file per process, to look into a failed run
        var logDir = Environment.GetEnvironmentVariable("LORA_HOST_LOG_DIR");
        var log = string.IsNullOrEmpty(logDir) ? null : TextWriter.Synchronized(File.AppendText(Path.Combine(logDir, $"host-{process.Id}.log")));
        var tail = new ConcurrentQueue<string>();
        Tails.AddOrUpdate(process, tail);
        DataReceivedEventHandler keepErrors = (_, line) =>
        {
            if (line.Data is { } any)
            {
                tail.Enqueue(any);
                while (tail.Count > 40 && tail.TryDequeue(out var dropped))
                {
                }
            }

            if (line.Data is { } all && log is not null)
            {
                log.WriteLine(all);
                log.Flush();
            }

            if (line.Data is { } text && errors.Count < 200
                && (text.Contains("\"LogLevel\":\"Error\"", StringComparison.Ordinal) || text.Contains("\"LogLevel\":\"Critical\"", StringComparison.Ordinal)))
            {
                errors.Enqueue(text);
            }
        };
        process.ErrorDataReceived += keepErrors;
        process.OutputDataReceived += keepErrors;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    /// <summary>Runs the Host's command line against the same database: `users create` gives a key.</summary>
    public async Task<string> CreateUserAsync(string name)
    {
        var output = await RunCommandAsync("users", "create", name);
        // the key is its own line; the command's host may log a warning after it (a watch finding a stale job of the shared schema)
        var key = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(line => line.StartsWith("lp_", StringComparison.Ordinal));
        return key ?? throw new InvalidOperationException("users create printed no key: " + output);
    }

    /// <summary>Runs a command of the Host (e.g. `db-apply`) with the same settings; its standard output.</summary>
    public async Task<string> RunCommandAsync(params string[] arguments)
    {
        using var process = Process.Start(Start(RepositoryRoot(), _environment, arguments))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"{string.Join(' ', arguments)} exited with {process.ExitCode}: {await errors} {await output}");
    }

    public HttpClient ClientFor(string key)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromMinutes(5) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Waits for a condition checked every 200 ms (a process outside this test cannot be tracked otherwise).</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting until {what}.");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>Uploads a dataset and waits until it is ready; <paramref name="extraWords"/> lengthens every answer (longer jobs).</summary>
    public static async Task<Guid> ReadyDatasetAsync(HttpClient client, int examples, int extraWords = 0)
    {
        var padding = string.Concat(Enumerable.Repeat(" then check the refund", extraWords / 4));
        var lines = string.Join('\n', Enumerable.Range(0, examples).Select(i =>
            $"{{\"messages\":[{{\"role\":\"system\",\"content\":\"You are helpful.\"}},{{\"role\":\"user\",\"content\":\"Question {i} about invoices and refunds?\"}},{{\"role\":\"assistant\",\"content\":\"Answer {i}: open Billing, choose the invoice, then Refund{padding}.\"}}]}}"));
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(lines + "\n")) { Headers = { ContentType = new MediaTypeHeaderValue("application/jsonl") } }, "file", "bench.jsonl" },
            { new StringContent("bench dataset"), "name" },
        };
        var created = await client.PostAsync("/api/datasets", form);
        created.EnsureSuccessStatusCode();
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["data"]!["id"]!.GetValue<Guid>();
        for (var i = 0; i < 600; i++)
        {
            var dataset = JsonNode.Parse(await client.GetStringAsync($"/api/datasets/{id}"))!["data"]!;
            if (dataset["status"]!.GetValue<string>() == "ready")
            {
                return id;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The benchmark dataset did not become ready.");
    }

    /// <summary>utime + stime of the Host process, in seconds.</summary>
    public double CpuSeconds() => ProcCpu.Seconds(Pid);

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        Http.Dispose();
        if (KeepSchemas)
        {
            return;
        }

        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        foreach (var schema in new[] { Schema, Schema + "_messages", Schema + "_sim" })
        {
            await using var drop = new NpgsqlCommand($"drop schema if exists \"{schema}\" cascade", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                var said = Tails.TryGetValue(_process, out var tail) ? string.Join("\n", tail) : "";
                throw new HostExitedAtStartException($"The Host exited with code {_process.ExitCode} before it was ready; its last lines:\n{said}");
            }

            try
            {
                if ((await Http.GetAsync("/health/ready")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(200);
        }

        throw new TimeoutException("The Host did not become ready in 2 minutes.");
    }

    private static ProcessStartInfo Start(string root, Dictionary<string, string> environment, params string[] arguments) =>
        HostCommand.StartInfo(root, HostCommand.HostDll(root), environment, arguments);

    private static int FreePort() => HostCommand.FreePort();
}

/// <summary>CPU seconds of processes from /proc (Linux).</summary>
public static class ProcCpu
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public static double Seconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    /// <summary>Busy time of the whole machine (all CPUs) from /proc/stat, in seconds.</summary>
    public static double MachineBusySeconds()
    {
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var idle = cpu[3] + cpu[4]; // idle + iowait
        return (cpu.Take(8).Sum() - idle) / TicksPerSecond;
    }
}

public static class Stats
{
    /// <summary>Nearest-rank percentile of a sorted list.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return Percentile(sorted, 50);
    }
}

public sealed class HostExitedAtStartException(string message) : Exception(message);
