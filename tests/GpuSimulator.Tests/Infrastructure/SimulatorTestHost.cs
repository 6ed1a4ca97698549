using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoraPipeline.GpuSimulator.Tests.Infrastructure;

/// <summary>
/// A real Kestrel server on 127.0.0.1 with a random port, hosting the simulator under /gpu-sim, plus a plain
/// /files/{name} endpoint serving datasets and a /callbacks/{name} endpoint recording pushes.
/// </summary>
public sealed class SimulatorTestHost : IAsyncDisposable
{
    public const string ApiKey = "test-api-key";
    public const string CallbackSecret = "test-callback-secret";
    public const double TimeScale = 40;

    private readonly WebApplication _app;

    private SimulatorTestHost(WebApplication app, ManualClock clock, string baseUrl)
    {
        _app = app;
        Clock = clock;
        BaseUrl = baseUrl;
        Client = CreateClient();
    }

    public ManualClock Clock { get; }

    /// <summary>http://127.0.0.1:{port}</summary>
    public string BaseUrl { get; }

    /// <summary>Client with the bearer key and base address {BaseUrl}/gpu-sim/.</summary>
    public HttpClient Client { get; }

    public ConcurrentDictionary<string, byte[]> Files { get; } = new();

    public CallbackRecorder Callbacks { get; } = new();

    public static async Task<SimulatorTestHost> StartAsync(
        PostgresSchemaFixture database,
        ManualClock? clock = null,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        clock ??= new ManualClock();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var configuration = new Dictionary<string, string?>
        {
            ["Simulator:ConnectionString"] = database.ConnectionString,
            ["Simulator:Schema"] = database.Schema,
            ["Simulator:ApiKey"] = ApiKey,
            ["Simulator:CallbackSecret"] = CallbackSecret,
            ["Simulator:CallbackInterval"] = "00:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddGpuClusterSimulator(builder.Configuration);

        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.MapGpuClusterSimulator("/gpu-sim");

        SimulatorTestHost? host = null;
        app.MapGet("/files/{name}", (string name) =>
            host!.Files.TryGetValue(name, out var bytes)
                ? Results.Bytes(bytes, "application/x-ndjson")
                : Results.NotFound());
        app.MapPost("/callbacks/{name}", async (HttpContext context, string name) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            host!.Callbacks.Record(new ReceivedCallback(
                name,
                body,
                context.Request.Headers["X-Cluster-Timestamp"].ToString(),
                context.Request.Headers["X-Cluster-Signature"].ToString(),
                DateTimeOffset.UtcNow));
            return Results.Ok();
        });

        await app.StartAsync();
        var address = app.Urls.Single().TrimEnd('/');
        host = new SimulatorTestHost(app, clock, address);
        return host;
    }

    public HttpClient CreateClient(string? apiKey = ApiKey, TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl + "/gpu-sim/"), Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return client;
    }

    /// <summary>Publishes a dataset and returns a signed-looking absolute URL to it.</summary>
    public string PublishDataset(string name, byte[] content)
    {
        Files[name] = content;
        return $"{BaseUrl}/files/{name}?expires=4102444800&signature=test-signature";
    }

    /// <summary>Moves the clock by a duration of simulated time (default time scale 40).</summary>
    public void AdvanceSimulated(double simulatedSeconds, double timeScale = TimeScale) =>
        Clock.Advance(TimeSpan.FromTicks((long)(simulatedSeconds / timeScale * TimeSpan.TicksPerSecond)));

    public async Task<HttpResponseMessage> SubmitAsync(object body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "training/submit")
        {
            Content = JsonContent.Create(body, options: Json.Options),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await Client.SendAsync(request);
    }

    /// <summary>Submits and asserts 201; returns the external job id.</summary>
    public async Task<string> SubmitOkAsync(object body, string? idempotencyKey = null)
    {
        using var response = await SubmitAsync(body, idempotencyKey);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"submit answered {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<SubmitDto>(text, Json.Options)!.ExternalJobId;
    }

    public async Task<StatusDto> StatusAsync(string externalJobId, int? sinceStep = null)
    {
        var url = $"training/status/{externalJobId}" + (sinceStep is { } s ? $"?since_step={s}" : "");
        using var response = await Client.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"status answered {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<StatusDto>(text, Json.Options)!;
    }

    public async Task<StatusV2Dto> StatusV2Async(string externalJobId, int? sinceStep = null)
    {
        var url = $"training/status/{externalJobId}" + (sinceStep is { } s ? $"?since_step={s}" : "");
        using var response = await Client.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"status answered {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<StatusV2Dto>(text, Json.Options)!;
    }

    /// <summary>POST training/{action}/{id} (cancel, pause, resume): the status code and the body.</summary>
    public async Task<(System.Net.HttpStatusCode Code, string Body)> CallAsync(string action, string externalJobId)
    {
        using var response = await Client.PostAsync($"training/{action}/{externalJobId}", null);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<ResumeDto> ResumeOkAsync(string externalJobId)
    {
        var (code, body) = await CallAsync("resume", externalJobId);
        Assert.True(code == System.Net.HttpStatusCode.OK, $"resume answered {(int)code}: {body}");
        return JsonSerializer.Deserialize<ResumeDto>(body, Json.Options)!;
    }

    public async Task PauseOkAsync(string externalJobId)
    {
        var (code, body) = await CallAsync("pause", externalJobId);
        Assert.True(code == System.Net.HttpStatusCode.OK, $"pause answered {(int)code}: {body}");
        Assert.Equal("paused", JsonSerializer.Deserialize<SubmitDto>(body, Json.Options)!.Status);
    }

    /// <summary>Advances simulated time in steps until a status matches; returns every status seen (the match last).</summary>
    public async Task<List<StatusV2Dto>> AdvanceUntilAsync(string externalJobId, Func<StatusV2Dto, bool> until, double stepSimulatedSeconds = 5, int maxPolls = 100_000)
    {
        var seen = new List<StatusV2Dto>();
        for (var i = 0; i < maxPolls; i++)
        {
            var status = await StatusV2Async(externalJobId, int.MaxValue);
            seen.Add(status);
            if (until(status))
            {
                return seen;
            }

            if (status.IsTerminal)
            {
                throw new InvalidOperationException($"job ended {status.Status} before the awaited state");
            }

            AdvanceSimulated(stepSimulatedSeconds);
        }

        throw new InvalidOperationException("the awaited state never came");
    }

    public async Task<string> StatusJsonAsync(string externalJobId, int? sinceStep = null)
    {
        var url = $"training/status/{externalJobId}" + (sinceStep is { } s ? $"?since_step={s}" : "");
        using var response = await Client.GetAsync(url);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Advances simulated time in steps until the job is terminal; returns every status seen.</summary>
    public async Task<List<StatusDto>> RunToEndAsync(string externalJobId, double stepSimulatedSeconds = 60, int maxPolls = 100_000)
    {
        var seen = new List<StatusDto>();
        for (var i = 0; i < maxPolls; i++)
        {
            var status = await StatusAsync(externalJobId, int.MaxValue);
            seen.Add(status);
            if (status.Status is "completed" or "failed" or "cancelled")
            {
                return seen;
            }

            AdvanceSimulated(stepSimulatedSeconds);
        }

        throw new InvalidOperationException("job did not finish");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <param name="ReceivedAt">Real time of arrival (pushes are paced in real time, not simulated time).</param>
public sealed record ReceivedCallback(string Name, string Body, string Timestamp, string Signature, DateTimeOffset ReceivedAt);

/// <summary>Records callback pushes; tests wait for one matching a predicate through a TaskCompletionSource.</summary>
public sealed class CallbackRecorder
{
    private readonly Lock _gate = new();
    private readonly List<ReceivedCallback> _received = [];
    private readonly List<(Func<ReceivedCallback, bool> Match, TaskCompletionSource<ReceivedCallback> Done)> _waiters = [];

    public IReadOnlyList<ReceivedCallback> Received
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    public void Record(ReceivedCallback callback)
    {
        List<TaskCompletionSource<ReceivedCallback>> completed = [];
        lock (_gate)
        {
            _received.Add(callback);
            foreach (var waiter in _waiters.Where(w => w.Match(callback)).ToList())
            {
                _waiters.Remove(waiter);
                completed.Add(waiter.Done);
            }
        }

        foreach (var done in completed)
        {
            done.TrySetResult(callback);
        }
    }

    public async Task<ReceivedCallback> WaitForAsync(Func<ReceivedCallback, bool> match, TimeSpan timeout)
    {
        var done = new TaskCompletionSource<ReceivedCallback>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            var already = _received.FirstOrDefault(match);
            if (already is not null)
            {
                return already;
            }

            _waiters.Add((match, done));
        }

        return await done.Task.WaitAsync(timeout);
    }
}
