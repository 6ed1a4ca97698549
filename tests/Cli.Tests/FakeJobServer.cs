using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using LoraPipeline.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LoraPipeline.Cli.Tests;

/// <summary>
/// Just enough of the API to follow one job, with a live stream that misbehaves on purpose in ways
/// the real Host cannot be made to on cue: a connection cut after two events, no stream at all, a
/// stream that never ends. Records what the CLI asked for (Last-Event-ID headers, every request).
/// </summary>
public sealed class FakeJobServer : IAsyncDisposable
{
    public enum StreamMode
    {
        /// <summary>First connection: versions 2 and 3, then the connection is cut. Second: version 4, completed.</summary>
        DropsOnce,

        /// <summary>The stream route answers 404 like an unknown route; GET /api/jobs/{id} completes on its third call.</summary>
        Missing,

        /// <summary>One event, then nothing until the client goes away.</summary>
        NeverEnds,
    }

    private readonly WebApplication _app;
    private int _streamConnections;
    private int _jobReads;

    public FakeJobServer(StreamMode mode)
    {
        Url = $"http://127.0.0.1:{HostCommand.FreePort()}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(Url);
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Use(async (context, next) =>
        {
            Requests.Enqueue($"{context.Request.Method} {context.Request.Path}");
            await next();
        });
        _app.MapGet("/api/jobs/{id:guid}", (Guid id) =>
        {
            var reads = Interlocked.Increment(ref _jobReads);
            var done = mode == StreamMode.Missing ? reads >= 3 : mode == StreamMode.DropsOnce && _streamConnections >= 2;
            return Results.Text(Envelope(new JsonObject { ["job"] = Job(done ? 4 : 1, done ? "completed" : "running", done ? 10 : 0), ["metrics"] = new JsonArray() }), "application/json");
        });
        _app.MapGet("/api/jobs/{id:guid}/stream", async (HttpContext context) =>
        {
            var connection = Interlocked.Increment(ref _streamConnections);
            LastEventIds.Enqueue(context.Request.Headers["Last-Event-ID"].ToString());
            if (mode == StreamMode.Missing)
            {
                context.Response.StatusCode = 404;
                context.Response.ContentType = "application/problem+json";
                await context.Response.WriteAsync("""{"title":"Not Found","status":404,"error":"Not Found","details":"Not Found"}""");
                return;
            }

            context.Response.ContentType = "text/event-stream";
            if (mode == StreamMode.NeverEnds)
            {
                await Event(context, 2, "running", 1);
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            if (connection == 1)
            {
                await context.Response.WriteAsync(": keep-alive comment, to be ignored\n\n");
                await Event(context, 2, "running", 3);
                await Event(context, 3, "running", 6);
                context.Abort(); // the connection drops mid-stream
                return;
            }

            await Event(context, 4, "completed", 10);
        });
        _app.MapGet("/api/models/{id:guid}", (Guid id) => Results.Text(Envelope(new JsonObject
        {
            ["id"] = id, ["job_id"] = JobId, ["dataset_id"] = Guid.Empty, ["name"] = "fake", ["status"] = "stored",
            ["artifacts"] = new JsonArray(), ["total_size"] = 0, ["collection_attempts"] = 1, ["quality_score"] = 3, ["created_at"] = DateTimeOffset.UtcNow,
        }), "application/json"));
    }

    public string Url { get; }

    public Guid JobId { get; } = Guid.NewGuid();

    public Guid ModelId { get; } = Guid.NewGuid();

    public ConcurrentQueue<string> LastEventIds { get; } = new();

    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Set once the stream has sent its first event (for the tests that interrupt the CLI).</summary>
    public TaskCompletionSource FirstEventSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task StartAsync() => _app.StartAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task Event(HttpContext context, long version, string status, int step)
    {
        var data = new JsonObject
        {
            ["job"] = Job(version, status, step),
            ["new_metrics"] = new JsonArray(new JsonObject { ["step"] = step, ["epoch"] = 1, ["training_loss"] = 2.0 - (step / 10.0), ["learning_rate"] = 0.0001 }),
        };
        // the data split over two lines, which the SSE format allows and the client must join
        var json = data.ToJsonString();
        var cut = json.IndexOf(",\"new_metrics\"", StringComparison.Ordinal);
        await context.Response.WriteAsync($"event: job\nid: {version}\ndata: {json[..cut]}\ndata: {json[cut..]}\n\n");
        await context.Response.Body.FlushAsync();
        FirstEventSent.TrySetResult();
    }

    private JsonObject Job(long version, string status, int step) => new()
    {
        ["id"] = JobId, ["dataset_id"] = Guid.Empty, ["dataset_name"] = "fake dataset", ["status"] = status, ["current_stage"] = status,
        ["progress"] = step * 10, ["current_epoch"] = 1, ["total_epochs"] = 1, ["current_step"] = step, ["total_steps"] = 10,
        ["current_cost"] = 0.01, ["final_cost"] = status == "completed" ? 0.02 : null, ["retry_count"] = 0,
        ["artifact_id"] = status == "completed" ? ModelId : null, ["created_at"] = DateTimeOffset.UtcNow, ["version"] = version,
    };

    private static string Envelope(JsonNode data) => new JsonObject { ["success"] = true, ["data"] = data }.ToJsonString();
}
