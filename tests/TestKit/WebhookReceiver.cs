using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoraPipeline.TestKit;

public sealed record ReceivedWebhook(string Path, string Id, long Timestamp, string Signature, string Body, int AnsweredWith)
{
    /// <summary>When the request was answered (the receiver's clock).</summary>
    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;

    public System.Text.Json.Nodes.JsonNode Json => System.Text.Json.Nodes.JsonNode.Parse(Body)!;

    public string Type => Json["type"]!.GetValue<string>();

    /// <summary>
    /// The Standard Webhooks reference rule, computed here independently of the platform: base64 of
    /// HMAC-SHA256(base64-decoded secret without its "whsec_" prefix, "{id}.{timestamp}.{body}"), among the
    /// space-separated "v1,..." signatures of the header.
    /// </summary>
    public bool VerifiesWith(string secret)
    {
        var key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret[6..] : secret);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{Id}.{Timestamp}.{Body}")));
        return Signature.Split(' ').Any(s => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s), Encoding.ASCII.GetBytes(expected)));
    }
}

/// <summary>
/// A webhook receiver in the test process: real Kestrel on a loopback port. It records every request and answers
/// each path with the next status of its script (200 once the script is used up); waits are on arrivals, never sleeps.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> _scripts = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";

    public IReadOnlyList<ReceivedWebhook> Received => _received.ToArray();

    /// <summary>A request on this path waits for this task before answering (a receiver that hangs).</summary>
    public ConcurrentDictionary<string, TaskCompletionSource> Holds { get; } = new();

    /// <summary>The webhook-id of every request as it arrives, before any hold: what was in flight.</summary>
    public ConcurrentQueue<(string Path, string Id)> Arrivals { get; } = new();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        // a receiver that sends the platform elsewhere, and one that answers far more than anyone needs
        app.MapPost("/redirect", (HttpRequest request) =>
        {
            receiver._received.Enqueue(new ReceivedWebhook("redirect", request.Headers["webhook-id"].ToString(), 0, "", "{\"type\":\"redirected\"}", 307));
            receiver._arrived.Release();
            return Results.Redirect("/target", permanent: false, preserveMethod: true);
        });
        app.MapPost("/big", async (HttpResponse response) =>
        {
            await response.WriteAsync(new string('x', 200_000));
        });
        app.MapPost("/{name}", async (string name, HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            receiver.Arrivals.Enqueue((name, request.Headers["webhook-id"].ToString()));
            receiver._arrived.Release();
            if (receiver.Holds.TryGetValue(name, out var hold))
            {
                await hold.Task;
                if (request.HttpContext.RequestAborted.IsCancellationRequested)
                {
                    return Results.Empty; // the sender is gone (killed mid-request): nothing was answered
                }
            }

            var status = receiver._scripts.TryGetValue(name, out var script) && script.TryDequeue(out var next) ? next : 200;
            receiver._received.Enqueue(new ReceivedWebhook(
                name, request.Headers["webhook-id"].ToString(), long.Parse(request.Headers["webhook-timestamp"].ToString()),
                request.Headers["webhook-signature"].ToString(), body, status));
            receiver._arrived.Release();
            return Results.Text("received " + name, statusCode: status);
        });
        await app.StartAsync();
        receiver._app = app;
        receiver.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return receiver;
    }

    public string UrlFor(string name) => $"{BaseUrl}/{name}";

    /// <summary>The next requests on this path answer these statuses, in order.</summary>
    public void Script(string name, params int[] statuses) => _scripts[name] = new ConcurrentQueue<int>(statuses);

    public IReadOnlyList<ReceivedWebhook> On(string name) => Received.Where(r => r.Path == name).ToList();

    /// <summary>Waits until the arrivals satisfy the condition.</summary>
    public async Task WaitForArrivalsAsync(Func<IReadOnlyList<(string Path, string Id)>, bool> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!condition(Arrivals.ToArray()))
        {
            await _arrived.WaitAsync(cts.Token);
        }
    }

    /// <summary>Waits until what was received satisfies the condition (woken by each arrival).</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(string name, Func<IReadOnlyList<ReceivedWebhook>, bool> condition, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (!condition(On(name)))
        {
            try
            {
                await _arrived.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Receiver '{name}' got {On(name).Count} request(s): {string.Join(", ", On(name).Select(r => r.Type + "/" + r.AnsweredWith))}");
            }
        }

        return On(name);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hold in Holds.Values)
        {
            hold.TrySetResult();
        }

        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
