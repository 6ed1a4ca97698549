using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace LoraPipeline.Training.GpuCluster;

/// <summary>How a call to the cluster ended: an answer, a permanent refusal, or a transient fault worth retrying.</summary>
public abstract record ClusterCall<T>
{
    public sealed record Answered(T Value) : ClusterCall<T>;

    /// <summary>The cluster refused for good (4xx): retrying the same request cannot help.</summary>
    public sealed record Refused(int Status, string Reason) : ClusterCall<T>;

    /// <summary>The cluster does not know this job (404).</summary>
    public sealed record NotFound : ClusterCall<T>;

    /// <summary>5xx, timeout, connection refused, open circuit: try again later.</summary>
    public sealed record Transient(string Reason) : ClusterCall<T>;
}

/// <summary>
/// The one typed client of the GPU cluster (submit, status, cancel, artifacts), bearer-keyed, with
/// the resilience pipeline configured in <see cref="TrainingModule"/>: per-attempt timeout, two
/// retries with jittered exponential back-off, a circuit breaker. Faults come back as values, not
/// exceptions, so callers decide what a failure means for the job.
/// </summary>
public sealed class GpuClusterClient(HttpClient http, IOptions<GpuClusterOptions> options, ILogger<GpuClusterClient> logger)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public Task<ClusterCall<ClusterSubmitResponse>> SubmitAsync(ClusterSubmitRequest request, CancellationToken ct) =>
        SendAsync<ClusterSubmitResponse>(() =>
        {
            var message = new HttpRequestMessage(HttpMethod.Post, "training/submit") { Content = JsonContent.Create(request, options: Json) };
            // the job id makes a repeated submission (after a crash or a retry) return the same cluster job
            message.Headers.Add("Idempotency-Key", request.JobId.ToString());
            return message;
        }, ct);

    /// <summary>The cluster job a submission with this idempotency key made, if any (v2): how a given-up submission is reconciled.</summary>
    public Task<ClusterCall<ClusterSubmitResponse>> FindByIdempotencyKeyAsync(Guid jobId, CancellationToken ct) =>
        SendAsync<ClusterSubmitResponse>(() => new HttpRequestMessage(HttpMethod.Get, $"training/jobs/by-key/{jobId}"), ct);

    public Task<ClusterCall<ClusterJobStatus>> GetStatusAsync(string externalJobId, int sinceStep, CancellationToken ct) =>
        SendAsync<ClusterJobStatus>(() => new HttpRequestMessage(HttpMethod.Get, $"training/status/{Uri.EscapeDataString(externalJobId)}?since_step={sinceStep}"), ct);

    public Task<ClusterCall<JsonElement>> CancelAsync(string externalJobId, CancellationToken ct) =>
        SendAsync<JsonElement>(() => new HttpRequestMessage(HttpMethod.Post, $"training/cancel/{Uri.EscapeDataString(externalJobId)}"), ct);

    /// <summary>Save a checkpoint of the current step and release the GPUs (v2).</summary>
    public Task<ClusterCall<ClusterLifecycleAnswer>> PauseAsync(string externalJobId, CancellationToken ct) =>
        SendAsync<ClusterLifecycleAnswer>(() => new HttpRequestMessage(HttpMethod.Post, $"training/pause/{Uri.EscapeDataString(externalJobId)}"), ct);

    /// <summary>Restart a paused or recovering job from its latest checkpoint (v2); a no-op for a job running again.</summary>
    public Task<ClusterCall<ClusterLifecycleAnswer>> ResumeAsync(string externalJobId, CancellationToken ct) =>
        SendAsync<ClusterLifecycleAnswer>(() => new HttpRequestMessage(HttpMethod.Post, $"training/resume/{Uri.EscapeDataString(externalJobId)}"), ct);

    /// <summary>The final files of a completed job, or with <paramref name="checkpointStep"/> one checkpoint's (v2).</summary>
    public Task<ClusterCall<ClusterArtifacts>> GetArtifactsAsync(string externalJobId, CancellationToken ct, int? checkpointStep = null) =>
        SendAsync<ClusterArtifacts>(() => new HttpRequestMessage(HttpMethod.Get,
            $"training/artifacts/{Uri.EscapeDataString(externalJobId)}" + (checkpointStep is { } step ? $"?checkpoint={step}" : "")), ct);

    private async Task<ClusterCall<T>> SendAsync<T>(Func<HttpRequestMessage> request, CancellationToken ct)
    {
        try
        {
            using var message = request();
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Value.ApiKey);
            using var response = await http.SendAsync(message, ct);
            if (response.IsSuccessStatusCode)
            {
                var value = await response.Content.ReadFromJsonAsync<T>(Json, ct);
                return value is null ? new ClusterCall<T>.Transient("empty answer") : new ClusterCall<T>.Answered(value);
            }

            var reason = await ReasonAsync(response, ct);
            return response.StatusCode switch
            {
                HttpStatusCode.NotFound => new ClusterCall<T>.NotFound(),
                HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.Conflict => new ClusterCall<T>.Transient(reason),
                >= HttpStatusCode.InternalServerError => new ClusterCall<T>.Transient(reason),
                _ => new ClusterCall<T>.Refused((int)response.StatusCode, reason),
            };
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or BrokenCircuitException or TaskCanceledException or JsonException
                                  && !ct.IsCancellationRequested)
        {
            return new ClusterCall<T>.Transient(e switch
            {
                TimeoutRejectedException or TaskCanceledException => "the GPU cluster did not answer in time",
                BrokenCircuitException => "the GPU cluster is failing; calls are paused for a moment (circuit open)",
                JsonException => "the GPU cluster answered with unreadable JSON",
                _ => $"the GPU cluster could not be reached ({e.Message})",
            });
        }
    }

    /// <summary>Why the cluster said no, as a user may read it; its raw answer is logged, not shown.</summary>
    private async Task<string> ReasonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        string? error = null;
        try
        {
            error = JsonSerializer.Deserialize<ClusterError>(text, Json)?.Error;
        }
        catch (JsonException)
        {
            // not JSON: the raw text it is
        }

        var raw = string.IsNullOrWhiteSpace(error) ? text : error;
        var shown = ClusterText.ForUser(raw);
        if (shown != raw)
        {
            logger.LogInformation("The GPU cluster answered {Status} to {Method} {Path}: {Answer}", (int)response.StatusCode,
                response.RequestMessage?.Method, response.RequestMessage?.RequestUri?.AbsolutePath, raw.Length > 4096 ? raw[..4096] : raw);
        }

        return $"{(int)response.StatusCode}: {shown}";
    }
}
