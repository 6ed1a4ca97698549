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
        /// <summary>First connection: versions 2 and 3, then it ends in the middle of an event. Second: version 4, completed.</summary>
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
            return Results.Text(Envelope(new JsonObject { ["job"] = Job(done ? "completed" : "running", done ? 10 : 0), ["metrics"] = new JsonArray(), ["revision"] = done ? 4 : 1 }), "application/json");
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
                // cut off in the middle of the next event. Not with context.Abort(): a reset can make the
                // client's TCP stack throw away events it has received but not read yet, and the test would guess
                await context.Response.WriteAsync("event: job\nid: 4\ndata: {\"job\": {\"id\"");
                return;
            }

            await Event(context, 4, "completed", 10);
        });
        MapLifecycle();
        _app.MapGet("/api/models/{id:guid}", (Guid id) => Results.Text(Envelope(new JsonObject
        {
            ["id"] = id, ["job_id"] = JobId, ["dataset_id"] = Guid.Empty, ["name"] = "fake", ["status"] = "stored",
            ["artifacts"] = new JsonArray(), ["total_size"] = 0, ["collection_attempts"] = 1, ["quality_score"] = 3, ["created_at"] = DateTimeOffset.UtcNow,
        }), "application/json"));
    }

    public string Url { get; }

    /// <summary>The bytes of the one file of checkpoint 20 (served with Range support).</summary>
    public byte[] CheckpointFile { get; } = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7)).ToArray();

    public Guid JobId { get; } = Guid.NewGuid();

    public Guid ModelId { get; } = Guid.NewGuid();

    public ConcurrentQueue<string> LastEventIds { get; } = new();

    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Set once the stream has sent its first event (for the tests that interrupt the CLI).</summary>
    public TaskCompletionSource FirstEventSent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task StartAsync() => _app.StartAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>
    /// The lifecycle issue's endpoints in the shapes it gives (pause, resume, checkpoints, the
    /// estimate's allowed_to_proceed), which the real Host does not serve yet.
    /// </summary>
    private void MapLifecycle()
    {
        _app.MapPost("/api/jobs/estimate", () => Results.Text(Envelope(new JsonObject
        {
            ["estimated_cost"] = 12.5, ["cost_breakdown"] = new JsonObject { ["compute"] = 12.0, ["storage"] = 0.5 }, ["estimated_duration_hours"] = 1.0,
            ["hourly_rate"] = 12.0, ["training_details"] = new JsonObject { ["total_steps"] = 10, ["steps_per_epoch"] = 10, ["dataset"] = new JsonObject { ["id"] = Guid.Empty, ["name"] = "fake dataset" } },
            ["allowed_to_proceed"] = false, ["proceed_blocked_reason"] = "This job's estimated $12.50 would take May over its hard budget of $10.00.",
            ["budget_remaining"] = 3.25,
        }), "application/json"));
        _app.MapPost("/api/jobs", () => Results.StatusCode(500)); // must never be reached when the estimate blocks
        _app.MapGet("/api/presets", () => Results.Text(Envelope(new JsonObject { ["presets"] = new JsonArray(), ["base_models"] = new JsonArray() }), "application/json"));
        _app.MapPost("/api/jobs/{id:guid}/pause", () => Results.Text(Envelope(Job("paused", 4)), "application/json", statusCode: 202));
        _app.MapPost("/api/jobs/{id:guid}/resume", () => Results.Text(
            """{"title":"Job is not paused","status":409,"error":"Job is not paused","details":"Only a paused job can be resumed; this job is 'running'."}""",
            "application/problem+json", statusCode: 409));
        // the server's shape (JobCheckpointsEndpoint): the job id and its checkpoints, files by name
        _app.MapGet("/api/jobs/{id:guid}/checkpoints", (Guid id) => Results.Text(Envelope(new JsonObject
        {
            ["job_id"] = id,
            ["checkpoints"] = new JsonArray(new JsonObject
            {
                ["step"] = 20, ["epoch"] = 1, ["created_at"] = DateTimeOffset.UtcNow, ["training_loss"] = 1.25, ["validation_loss"] = null, ["attempt"] = 1,
                ["files"] = new JsonArray("adapter_config.json", "adapter_model.safetensors"),
            }),
        }), "application/json"));
        _app.MapPost("/api/jobs/{id:guid}/checkpoints/{step:int}/download", (int step) => step != 20
            ? Results.Text("""{"title":"Checkpoint not found","status":404,"error":"Checkpoint not found","details":"No checkpoint at that step."}""", "application/problem+json", statusCode: 404)
            : Results.Text(Envelope(new JsonObject
            {
                ["links"] = new JsonArray(new JsonObject
                {
                    ["file_name"] = "adapter_model.safetensors", ["size"] = CheckpointFile.Length, ["sha256"] = Sha256(CheckpointFile),
                    ["url"] = $"{Url}/files/checkpoint-20", ["expires_at"] = DateTimeOffset.UtcNow.AddHours(1), ["flagged"] = false,
                }),
            }), "application/json"));
        _app.MapGet("/files/checkpoint-20", () => Results.File(CheckpointFile, "application/octet-stream", enableRangeProcessing: true));
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    private async Task Event(HttpContext context, long version, string status, int step)
    {
        var data = new JsonObject
        {
            ["job"] = Job(status, step),
            ["revision"] = version,
            ["new_metrics"] = new JsonArray(new JsonObject { ["step"] = step, ["epoch"] = 1, ["training_loss"] = 2.0 - (step / 10.0), ["learning_rate"] = 0.0001 }),
        };
        // the data split over two lines, which the SSE format allows and the client must join
        var json = data.ToJsonString();
        var cut = json.IndexOf(",\"new_metrics\"", StringComparison.Ordinal);
        await context.Response.WriteAsync($"event: job\nid: {version}\ndata: {json[..cut]}\ndata: {json[cut..]}\n\n");
        await context.Response.Body.FlushAsync();
        FirstEventSent.TrySetResult();
    }

    private JsonObject Job(string status, int step) => new()
    {
        ["id"] = JobId, ["dataset_id"] = Guid.Empty, ["dataset"] = new JsonObject { ["id"] = Guid.Empty, ["name"] = "fake dataset" }, ["status"] = status, ["current_stage"] = status,
        ["progress"] = step * 10, ["current_epoch"] = 1, ["total_epochs"] = 1, ["current_step"] = step, ["total_steps"] = 10,
        ["current_cost"] = 0.01, ["final_cost"] = status == "completed" ? 0.02 : null, ["retry_count"] = 0,
        ["artifact_id"] = status == "completed" ? ModelId : null, ["created_at"] = DateTimeOffset.UtcNow,
    };

    private static string Envelope(JsonNode data) => new JsonObject { ["success"] = true, ["data"] = data }.ToJsonString();
}
