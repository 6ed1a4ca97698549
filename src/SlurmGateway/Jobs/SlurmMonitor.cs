using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LoraPipeline.SlurmGateway.Api;
using LoraPipeline.SlurmGateway.Slurm;
using Microsoft.Extensions.Options;

namespace LoraPipeline.SlurmGateway.Jobs;

/// <summary>
/// Every PollInterval: one GET /jobs for all jobs (never one call per job), folded into each unfinished job's
/// state file, then a signed callback for each job whose status changed or whose interval came. The set of jobs
/// is read from the folders, so a restarted gateway carries on where it stopped.
/// </summary>
internal sealed class SlurmMonitor(
    JobFolders folders,
    SlurmRestClient slurm,
    IHttpClientFactory httpClients,
    IOptions<GatewayOptions> options,
    TimeProvider clock,
    ILogger<SlurmMonitor> logger) : BackgroundService
{
    public const string CallbackClientName = "LoraPipeline.SlurmGateway.Callbacks";

    /// <summary>A Slurm job missing from Slurm's listing this long after its submit is gone (purged, or the controller lost its state).</summary>
    private static readonly TimeSpan ForgottenAfter = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<Guid, (string Status, DateTimeOffset PushedAt)> _pushed = new();

    /// <summary>Slurm listings taken so far (the benchmark's and the tests' measure of one call per cycle).</summary>
    public long Cycles;

    public TimeSpan LastCycleDuration { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval, clock);
        do
        {
            try
            {
                await CycleAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Slurm poll cycle failed: {Message}", e.Message);
            }
        }
        while (await NextTickAsync(timer, stoppingToken));
    }

    /// <summary>False at shutdown (instead of the cancellation the host would log as a failed service).</summary>
    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async Task CycleAsync(CancellationToken cancellationToken)
    {
        var unfinished = folders.Unfinished().ToList();
        if (unfinished.Count == 0)
        {
            return;
        }

        var started = clock.GetTimestamp();
        var jobs = (await slurm.JobsAsync(cancellationToken)).GroupBy(j => j.JobId).ToDictionary(g => g.Key, g => g.Last());
        Interlocked.Increment(ref Cycles);
        foreach (var id in unfinished)
        {
            StatusResponse? push = null;
            string? callback = null;
            using (await folders.LockAsync(id, cancellationToken))
            {
                if (folders.Load(id) is not { } state)
                {
                    continue;
                }

                var now = clock.GetUtcNow();
                var folder = folders.Folder(id);
                var progress = TrainerProgress.Read(folder);
                var next = state.CurrentSlurmJobId is { } current && jobs.TryGetValue(current, out var job)
                    ? SlurmObservation.Apply(state, job, progress, folder, now)
                    : Forgotten(state, progress, folder, now);
                if (next != state)
                {
                    folders.Save(next);
                }

                var status = StatusComposer.Compose(next, progress, sinceStep: 0, now);
                if (next.CallbackUrl is { } url && Due(id, status.Status, now))
                {
                    push = status;
                    callback = url;
                }
            }

            if (push is not null)
            {
                await PushAsync(id, callback!, push, cancellationToken);
            }
        }

        LastCycleDuration = clock.GetElapsedTime(started);
    }

    /// <summary>The current Slurm job is not in the listing: fine right after the submit, an end once it has been gone a while.</summary>
    private static JobState Forgotten(JobState state, TrainerProgress progress, string folder, DateTimeOffset now)
    {
        if (state.Final is not null || state.CurrentSlurmJobId is null || state.Paused && state.OpenAttempt is null || now - state.CreatedAt < ForgottenAfter)
        {
            return state;
        }

        var ended = progress.LastTimestamp ?? now;
        if (state.CancelRequested)
        {
            return state with { Attempts = SlurmObservation.Close(state.Attempts, ended, Phases.Cancelled), Final = Phases.Cancelled, EndedAt = ended };
        }

        if (progress.Completed && File.Exists(Path.Combine(folder, JobFolders.AdapterModel)))
        {
            return state with { Attempts = SlurmObservation.Close(state.Attempts, ended, Phases.Completed), Final = Phases.Completed, EndedAt = ended };
        }

        return state with
        {
            Attempts = SlurmObservation.Close(state.Attempts, ended, Phases.Failed), Final = Phases.Failed, EndedAt = ended,
            FinalError = $"Slurm no longer knows job {state.CurrentSlurmJobId} and the trainer did not finish.",
        };
    }

    private bool Due(Guid id, string status, DateTimeOffset now)
    {
        var interval = options.Value.CallbackInterval;
        if (_pushed.TryGetValue(id, out var last) && last.Status == status && (interval <= TimeSpan.Zero || now - last.PushedAt < interval
            || status is Phases.Completed or Phases.Failed or Phases.Cancelled or Phases.Paused))
        {
            return false;
        }

        _pushed[id] = (status, now);
        return true;
    }

    private async Task PushAsync(Guid id, string url, StatusResponse status, CancellationToken cancellationToken)
    {
        try
        {
            var body = JsonSerializer.Serialize(status, WireJson.Options);
            var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Cluster-Timestamp", timestamp);
            request.Headers.Add("X-Cluster-Signature", "v2=" + Sign(options.Value.CallbackSecret, timestamp, "POST", new Uri(url).AbsolutePath, body));
            using var response = await httpClients.CreateClient(CallbackClientName).SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                logger.LogInformation("Callback of job {JobId} answered {Status}", id, (int)response.StatusCode);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // the platform polls as well: a lost push costs nothing but freshness; try again at the next cycle
            _pushed.TryRemove(id, out _);
            logger.LogInformation("Callback of job {JobId} failed: {Message}", id, e.Message);
        }
    }

    /// <summary>Contract v2: hex HMAC-SHA256 of "{timestamp}.{METHOD}.{path}.{body}".</summary>
    public static string Sign(string secret, string timestamp, string method, string path, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{method}.{path}.{body}")));
}
