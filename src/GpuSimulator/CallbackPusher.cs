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
/// Pushes the status document of the jobs this process accepted (or paused, resumed or cancelled) to their
/// callback URLs: at every change of status (queued, initializing, running, paused, recovering and the terminal
/// ones), and every <see cref="SimulatorOptions.CallbackInterval"/> (real time) while the job is queued,
/// initializing or running, each job on its own phase and a few pushes at a time, with one last push at the
/// terminal state. A change is seen within a twentieth of the interval (between 50 ms and 1 s): the status is
/// recomputed from the row this process holds, which a pause, resume or cancel here replaces at once and every
/// interval refreshes from the database (so a call taken by another process shows at the next interval).
/// The set of jobs is in memory only: after a restart pushes are not resumed (until a pause, resume or cancel
/// of the job in this process) and the platform's polling takes over. Failures are logged and ignored.
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

    // external job id -> its row, push schedule, last pushed status and the highest metrics step delivered so far
    // (pushes carry only newer points)
    private readonly ConcurrentDictionary<string, Pushes> _jobs = new(StringComparer.Ordinal);

    private sealed class Pushes(JobRecord job, DateTimeOffset due, string? lastStatus)
    {
        private JobRecord _job = job;

        public DateTimeOffset Due = due;
        public int Delivered;

        /// <summary>The status last pushed (or answered to the submit); a different one is pushed at once.</summary>
        public string? LastStatus = lastStatus;

        public JobRecord Job => Volatile.Read(ref _job);

        /// <summary>
        /// Keeps the newer of two rows: a push that read the row just before a pause, resume or cancel committed must
        /// not put the older row back over the one <see cref="Changed"/> gave (calls and a cancellation only ever add).
        /// </summary>
        public void Offer(JobRecord row)
        {
            while (true)
            {
                var current = Volatile.Read(ref _job);
                var older = row.LifecycleCalls.Count < current.LifecycleCalls.Count || (row.CancelledAt is null && current.CancelledAt is not null);
                if (older || ReferenceEquals(Interlocked.CompareExchange(ref _job, row, current), current))
                {
                    return;
                }
            }
        }
    }

    private enum Push
    {
        /// <summary>Push now (a change of status, or the interval of an active job).</summary>
        Now,

        /// <summary>The interval of a paused or recovering job: re-read the row, push only if the status changed.</summary>
        IfChanged,
    }

    /// <summary>Starts pushing a job this process accepted; the submit's answer ("queued") counts as its first report.</summary>
    public void Track(JobRecord job)
    {
        var interval = options.CurrentValue.CallbackInterval;
        if (!string.IsNullOrWhiteSpace(job.CallbackUrl) && interval > TimeSpan.Zero)
        {
            // each job on its own phase of the interval: jobs accepted in a burst do not all report
            // in the same instant for the rest of their lives
            _jobs.TryAdd(job.ExternalJobId, new Pushes(job, TimeProvider.System.GetUtcNow() + interval * Random.Shared.NextDouble(), JobStatuses.Queued));
        }
    }

    /// <summary>
    /// A pause, resume or cancel in this process changed the job's row: its new status is pushed at the next look.
    /// A job this process was not pushing (accepted elsewhere, or before a restart) is pushed from now on.
    /// </summary>
    public void Changed(JobRecord job)
    {
        var interval = options.CurrentValue.CallbackInterval;
        if (string.IsNullOrWhiteSpace(job.CallbackUrl) || interval <= TimeSpan.Zero)
        {
            return;
        }

        var pushes = _jobs.GetOrAdd(job.ExternalJobId, _ => new Pushes(job, TimeProvider.System.GetUtcNow() + interval, lastStatus: null));
        pushes.Offer(job);
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
            var simulatedNow = StatusBuilder.Now(clock);
            var due = new List<(string Id, Push Push)>();
            foreach (var (id, pushes) in _jobs)
            {
                var snapshot = new JobSimulation(pushes.Job).SnapshotAt(simulatedNow);
                var changed = snapshot.Lost || snapshot.Status != pushes.LastStatus;
                var intervalDue = pushes.Due <= now;
                if (intervalDue)
                {
                    // the next turn is fixed before this one runs, so a slow push is never sent twice at once
                    var next = pushes.Due + interval;
                    pushes.Due = next > now ? next : now + interval;
                }

                if (changed || (intervalDue && snapshot.Status is JobStatuses.Queued or JobStatuses.Initializing or JobStatuses.Running))
                {
                    due.Add((id, Push.Now));
                }
                else if (intervalDue)
                {
                    due.Add((id, Push.IfChanged));
                }
            }

            if (due.Count == 0)
            {
                continue;
            }

            try
            {
                await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentPushes, CancellationToken = stoppingToken },
                    async (item, ct) => await PushAsync(item.Id, item.Push, ct));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>How often due pushes and changes are looked for: a twentieth of the interval, between 50 ms and 1 s.</summary>
    private static TimeSpan Tick(TimeSpan interval) =>
        interval <= TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Clamp(interval.Ticks / 20, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond));

    private async Task PushAsync(string externalJobId, Push push, CancellationToken cancellationToken)
    {
        try
        {
            if (!_jobs.TryGetValue(externalJobId, out var pushes))
            {
                return;
            }

            var job = await store.GetAsync(externalJobId, cancellationToken);
            if (job?.CallbackUrl is null)
            {
                _jobs.TryRemove(externalJobId, out _);
                return;
            }

            pushes.Offer(job);
            job = pushes.Job;
            var callbackUrl = job.CallbackUrl ?? "";
            var status = StatusBuilder.Build(job, StatusBuilder.Now(clock), pushes.Delivered);
            if (status is null)
            {
                // lost job: the cluster has forgotten it, so it stops reporting
                _jobs.TryRemove(externalJobId, out _);
                return;
            }

            if (push == Push.IfChanged && status.Status == pushes.LastStatus)
            {
                return;
            }

            // set before sending: a failing endpoint gets the change once, then the interval (polling covers the rest)
            pushes.LastStatus = status.Status;
            var terminal = status.Status is JobStatuses.Completed or JobStatuses.Failed or JobStatuses.Cancelled;
            try
            {
                var body = JsonSerializer.Serialize(status, SimulatorJson.Options);
                var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                using var request = new HttpRequestMessage(HttpMethod.Post, callbackUrl);
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                request.Headers.Add(TimestampHeader, timestamp);
                var secret = options.CurrentValue.CallbackSecret;
                request.Headers.Add(SignatureHeader, options.CurrentValue.CallbackSignature == CallbackSignatures.V1
                    ? "sha256=" + Sign(secret, timestamp, body)
                    : "v2=" + SignV2(secret, timestamp, HttpMethod.Post.Method, SignedPath(callbackUrl), body));
                var client = httpClientFactory.CreateClient(HttpClientName);
                using var response = await client.SendAsync(request, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    if (status.MetricsHistory.Count > 0)
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
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or InvalidOperationException or UriFormatException or Npgsql.NpgsqlException)
        {
            logger.LogWarning(ex, "GPU simulator: callback push for {ExternalJobId} failed; the platform's polling covers it", externalJobId);
        }
    }

    /// <summary>The path a v2 signature covers: the callback URL's absolute path as written in the URL (no query string).</summary>
    public static string SignedPath(string callbackUrl) => new Uri(callbackUrl, UriKind.Absolute).AbsolutePath;

    /// <summary>Contract v1: lowercase hex HMAC-SHA256 of <c>"{timestamp}.{body}"</c> (header value <c>sha256=...</c>).</summary>
    public static string Sign(string secret, string timestamp, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));

    /// <summary>Contract v2: lowercase hex HMAC-SHA256 of <c>"{timestamp}.{METHOD}.{path}.{body}"</c> (header value <c>v2=...</c>).</summary>
    public static string SignV2(string secret, string timestamp, string method, string path, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{method}.{path}.{body}")));
}
