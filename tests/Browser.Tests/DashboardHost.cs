using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using LoraPipeline.Testing;
using Npgsql;

namespace LoraPipeline.Browser.Tests;

/// <summary>
/// The real platform as a user meets it: the Host's own build output started as a process on a free
/// port (Development, so the demo key is offered), with the dashboard from its wwwroot, its own
/// Marten, Wolverine and simulator schemas and its own blob folder, plus one headless Chromium.
/// Everything is removed again at the end: the process, the schemas and the folders.
/// </summary>
public sealed class DashboardHost : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>
    /// Simulated seconds per real second. A 1-epoch job then lasts about 5 s and a 20-epoch job about
    /// 25 s, long enough to be cancelled from the page every time (at 3000 it would end within 2 s).
    /// </summary>
    private const string DefaultTimeScale = "300";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ];

    private readonly string _schema = "b_" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _workDir = Path.Combine(Path.GetTempPath(), "lora-browser-tests", Guid.NewGuid().ToString("N"));
    private readonly ConcurrentQueue<string> _log = new();
    private Dictionary<string, string> _environment = [];
    private Process? _process;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private string? _connectionString;

    public string RepoRoot { get; } = HostCommand.RepositoryRoot();

    public string BaseUrl { get; private set; } = "";

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not started.");

    public string AxeScript => Path.Combine(RepoRoot, "src", "Host", "ClientApp", "node_modules", "axe-core", "axe.min.js");

    public string ScreenshotDir { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public string WorkDir => _workDir;

    public async Task InitializeAsync()
    {
        _connectionString = Environment.GetEnvironmentVariable("LORA_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(_connectionString))
        {
            throw new InvalidOperationException(
                "LORA_TEST_POSTGRES is not set: run ./test.sh, which starts PostgreSQL and sets it " +
                "(or set it to a connection string of a PostgreSQL server yourself).");
        }

        var hostDll = HostCommand.HostDll(RepoRoot);
        var webRoot = Path.Combine(RepoRoot, "src", "Host", "wwwroot");
        Require(File.Exists(Path.Combine(webRoot, "index.html")), $"The dashboard is not built ({webRoot}/index.html is missing): run scripts/build-client.sh.");
        Require(File.Exists(AxeScript), $"axe-core is missing ({AxeScript}): run scripts/build-client.sh (npm ci installs it).");
        Require(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: run scripts/install-chromium.sh.");

        Directory.CreateDirectory(_workDir);
        Directory.CreateDirectory(ScreenshotDir);
        foreach (var old in Directory.EnumerateFiles(ScreenshotDir, "*.png"))
        {
            File.Delete(old); // only this run's pictures
        }

        var port = HostCommand.FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        _environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Postgres"] = _connectionString,
            ["Database__Schema"] = _schema,
            ["Simulator__Schema"] = _schema + "_sim",
            ["DemoAccount__Enabled"] = "true",
            ["DemoAccount__KeyFile"] = Path.Combine(_workDir, "demo-api-key"),
            ["Storage__Root"] = Path.Combine(_workDir, "blobs"),
            ["Storage__SigningKey"] = Secret(),
            ["Storage__PublicBaseUrl"] = BaseUrl,
            ["GpuCluster__ApiKey"] = Secret(),
            ["GpuCluster__CallbackSecret"] = Secret(),
            ["GpuCluster__PollInterval"] = "00:00:01",
            ["Simulator__TimeScale"] = Environment.GetEnvironmentVariable("LORA_BROWSER_TIMESCALE") ?? DefaultTimeScale,
            ["Simulator__CallbackInterval"] = "00:00:00.500",
            // the demo's preemptions (appsettings.Development.json) are off: a browser test asks for them when it wants them
            ["Simulator__PreemptionRate"] = "0",
            ["Messaging__ScheduledPollingInterval"] = "00:00:00.200",
            // the webhook page's test receiver listens on loopback over http
            ["Webhooks__AllowInsecure"] = "true",
            ["Webhooks__AllowPrivateAddresses"] = "true",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        };

        _process = StartHost(hostDll, ["--urls", BaseUrl], "host");
        await WaitUntilReadyAsync();
        await RequireDashboardAssetsAsync(webRoot);

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            // Playwright gives every launch a fresh, empty user-data directory of its own
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        WriteLog();
        if (_connectionString is not null)
        {
            await DropSchemasAsync(_connectionString, _schema, _schema + "_messages", _schema + "_sim");
        }

        if (Directory.Exists(_workDir))
        {
            Directory.Delete(_workDir, recursive: true);
        }
    }

    /// <summary>A new user with a fresh API key, made by the Host's own command line (users create).</summary>
    public async Task<string> CreateUserAsync(string name)
    {
        using var process = StartHost(HostCommand.HostDll(RepoRoot), ["users", "create", name], "cli");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        Require(process.ExitCode == 0, $"'users create {name}' failed with exit code {process.ExitCode}.\n{LogTail()}");
        var key = _log.Where(l => l.StartsWith("[cli] lp_", StringComparison.Ordinal)).Select(l => l[6..].Trim()).LastOrDefault();
        return key ?? throw new InvalidOperationException($"'users create {name}' printed no key.\n{LogTail()}");
    }

    /// <summary>The last lines the Host printed, for failure messages.</summary>
    public string LogTail(int lines = 60) => string.Join('\n', _log.TakeLast(lines));

    private Process StartHost(string hostDll, IEnumerable<string> arguments, string tag)
    {
        var start = HostCommand.StartInfo(RepoRoot, hostDll, _environment, arguments);
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Keep(tag, e.Data);
        process.ErrorDataReceived += (_, e) => Keep(tag, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("The Host process did not start.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Keep(string tag, string? line)
    {
        if (line is null)
        {
            return;
        }

        _log.Enqueue($"[{tag}] {line}");
        while (_log.Count > 5000 && _log.TryDequeue(out _))
        {
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"The Host exited with code {_process.ExitCode} before it was ready.\n{LogTail()}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseUrl + "/health/ready"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            await Task.Delay(250);
        }

        throw new InvalidOperationException($"The Host did not become ready at {BaseUrl}/health/ready within 120 s.\n{LogTail()}");
    }

    /// <summary>The dashboard's script is served as a script, not swallowed by the fallback to index.html.</summary>
    private async Task RequireDashboardAssetsAsync(string webRoot)
    {
        var index = await File.ReadAllTextAsync(Path.Combine(webRoot, "index.html"));
        var script = System.Text.RegularExpressions.Regex.Match(index, "src=\"(/assets/[^\"]+\\.js)\"").Groups[1].Value;
        Require(script.Length > 0, "The built index.html names no /assets/*.js script: run scripts/build-client.sh again.");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri(BaseUrl + script));
        var type = response.Content.Headers.ContentType?.MediaType ?? "";
        Require(response.StatusCode == HttpStatusCode.OK && type.Contains("javascript", StringComparison.Ordinal),
            $"The Host answers {script} with {(int)response.StatusCode} {type}, not the script: static files must be served before the " +
            "fallback to index.html takes every path (in HttpSurface: app.UseStaticFiles() then app.UseRouting()).");
    }

    private void WriteLog()
    {
        try
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "host-logs");
            Directory.CreateDirectory(folder);
            File.WriteAllLines(Path.Combine(folder, $"{_schema}.log"), _log);
        }
        catch (IOException)
        {
            // the log is a convenience only
        }
    }

    private static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    private static async Task DropSchemasAsync(string connectionString, params string[] schemas)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var schema in schemas)
        {
            await using var command = new NpgsqlCommand($"drop schema if exists \"{schema}\" cascade", connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardHost>
{
    public const string Name = "dashboard";
}
