using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoraPipeline.GpuSimulator;

/// <summary>
/// Pushes the status document of the jobs this process accepted to their callback URLs every
/// <see cref="SimulatorOptions.CallbackInterval"/> (real time), each job on its own phase and a few
/// pushes at a time, with one last push at the terminal state.
/// The set of jobs is in memory only: after a restart pushes are not resumed and the platform's polling takes over.
/// Failures are logged and ignored.
/// </summary>
internal sealed class CallbackPusher(
    JobStore store,
    IHttpClientFactory httpClientFactory,
    IOptionsMonitor<SimulatorOptions> options,
    TimeProvider clock,
    ILogger<CallbackPusher> logger) : BackgroundService
{
    public const string HttpClientName = "LoraPipeline.GpuSimulator.Callbacks";
    public const string TimestampHeader = "X-Cluster-Timestamp";
    public const string SignatureHeader = "X-Cluster-Signature";

    /// <summary>Pushes in flight at once: a cluster reports at its own pace, it does not flood its client.</summary>
    private const int MaxConcurrentPushes = 8;

    // external job id -> its push schedule and the highest metrics step delivered so far (pushes carry only newer points)
    private readonly ConcurrentDictionary<string, Pushes> _jobs = new(StringComparer.Ordinal);

    private sealed class Pushes(DateTimeOffset due)
    {
        public DateTimeOffset Due = due;
        public int Delivered;
    }

    public void Track(JobRecord job)
    {
        var interval = options.CurrentValue.CallbackInterval;
        if (!string.IsNullOrWhiteSpace(job.CallbackUrl) && interval > TimeSpan.Zero)
        {
            // each job on its own phase of the interval: jobs accepted in a burst do not all report
            // in the same instant for the rest of their lives
            _jobs.TryAdd(job.ExternalJobId, new Pushes(TimeProvider.System.GetUtcNow() + interval * Random.Shared.NextDouble()));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var interval = options.CurrentValue.CallbackInterval;
            try
            {
                // real time on purpose: the interval paces HTTP traffic, it is not simulated time
                await Task.Delay(Tick(interval), TimeProvider.System, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (interval <= TimeSpan.Zero || _jobs.IsEmpty)
            {
                continue;
            }

            var now = TimeProvider.System.GetUtcNow();
            var due = new List<string>();
            foreach (var (id, pushes) in _jobs)
            {
                if (pushes.Due <= now)
                {
                    // the next turn is fixed before this one runs, so a slow push is never sent twice at once
                    var next = pushes.Due + interval;
                    pushes.Due = next > now ? next : now + interval;
                    due.Add(id);
                }
            }

            try
            {
                await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentPushes, CancellationToken = stoppingToken },
                    async (id, ct) => await PushAsync(id, ct));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>How often due pushes are looked for: a twentieth of the interval, between 50 ms and 1 s.</summary>
    private static TimeSpan Tick(TimeSpan interval) =>
        interval <= TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Clamp(interval.Ticks / 20, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond));

    private async Task PushAsync(string externalJobId, CancellationToken cancellationToken)
    {
        try
        {
            var job = await store.GetAsync(externalJobId, cancellationToken);
            if (job?.CallbackUrl is null)
            {
                _jobs.TryRemove(externalJobId, out _);
                return;
            }

            var since = _jobs.TryGetValue(externalJobId, out var pushes) ? pushes.Delivered : 0;
            var status = StatusBuilder.Build(job, StatusBuilder.Now(clock), since);
            if (status is null)
            {
                // lost job: the cluster has forgotten it, so it stops reporting
                _jobs.TryRemove(externalJobId, out _);
                return;
            }

            var terminal = status.Status is JobStatuses.Completed or JobStatuses.Failed or JobStatuses.Cancelled;
            try
            {
                var body = JsonSerializer.Serialize(status, SimulatorJson.Options);
                var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                using var request = new HttpRequestMessage(HttpMethod.Post, job.CallbackUrl);
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                request.Headers.Add(TimestampHeader, timestamp);
                request.Headers.Add(SignatureHeader, "sha256=" + Sign(options.CurrentValue.CallbackSecret, timestamp, body));
                var client = httpClientFactory.CreateClient(HttpClientName);
                using var response = await client.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    if (status.MetricsHistory.Count > 0 && pushes is not null)
                    {
                        pushes.Delivered = status.MetricsHistory[^1].Step;
                    }
                }
                else
                {
                    logger.LogWarning("GPU simulator: callback for {ExternalJobId} to {CallbackUrl} answered {StatusCode}",
                        externalJobId, job.CallbackUrl, (int)response.StatusCode);
                }
            }
            finally
            {
                if (terminal)
                {
                    _jobs.TryRemove(externalJobId, out _);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or InvalidOperationException or Npgsql.NpgsqlException)
        {
            logger.LogWarning(ex, "GPU simulator: callback push for {ExternalJobId} failed; the platform's polling covers it", externalJobId);
        }
    }

    /// <summary>Lowercase hex HMAC-SHA256 of <c>"{timestamp}.{body}"</c>.</summary>
    public static string Sign(string secret, string timestamp, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));
}
