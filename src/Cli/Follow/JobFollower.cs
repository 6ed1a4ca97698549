using System.Net;
using System.Text.Json;
using LoraPipeline.Cli.Api;

namespace LoraPipeline.Cli.Follow;

/// <summary>
/// What following has seen of a job: the job as last reported and every metric point once, by step
/// (a reconnected stream starts its points from the beginning again, and an epoch's last point is
/// sent again when its validation loss arrives: both simply replace what is there).
/// </summary>
public sealed class JobState
{
    private readonly SortedDictionary<int, MetricPoint> _points = [];

    public JobState(Job job) => Job = job;

    public Job Job { get; private set; }

    public IReadOnlyCollection<MetricPoint> Points => _points.Values;

    /// <summary>"stream" while the server-sent events flow, "polling" after falling back to GET /api/jobs/{id}.</summary>
    public string Mode { get; set; } = "stream";

    public void Apply(Job job, IEnumerable<MetricPoint>? points)
    {
        Job = job;
        foreach (var point in points ?? [])
        {
            _points[point.Step] = point;
        }
    }

    /// <summary>Time left: extrapolated from the progress made since the start, else the cluster's estimated completion.</summary>
    public TimeSpan? Remaining(DateTimeOffset now)
    {
        var job = Job;
        if (job.IsTerminal)
        {
            return TimeSpan.Zero;
        }

        if (job.StartedAt is { } started && job.Progress is > 1m and < 100m && now > started)
        {
            var elapsed = now - started;
            return TimeSpan.FromSeconds(elapsed.TotalSeconds / (double)job.Progress * (double)(100m - job.Progress));
        }

        return job.EstimatedCompletionAt is { } eta ? eta - now : null;
    }
}

/// <summary>
/// Follows a job until it ends: the server-sent events of <c>/api/jobs/{id}/stream</c>, reconnecting
/// with <c>Last-Event-ID</c> when the connection drops, and polling <c>GET /api/jobs/{id}</c> when
/// the stream is not available at all (an older server, a proxy that buffers it) or keeps dropping.
/// Cancelling the token stops following only: nothing is sent to the job.
/// </summary>
public sealed class JobFollower(LoraApiClient api, Action<string> note)
{
    /// <summary>Drops in a row without an event in between (or failed connects) before falling back to polling.</summary>
    public const int MaxReconnects = 5;

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <param name="onRaw">Each event's data as it came (the SSE event's JSON, or the polled job detail).</param>
    /// <param name="onUpdate">After each change, with everything seen so far.</param>
    public async Task<Job> FollowAsync(Guid id, Action<JsonElement>? onRaw, Action<JobState> onUpdate, CancellationToken ct)
    {
        var first = await api.GetJobAsync(id, ct); // a missing job (or another user's) is a 404 here, before anything is drawn
        var state = new JobState(first.Value.Job);
        state.Apply(first.Value.Job, first.Value.Metrics);
        onUpdate(state);
        if (first.Value.Job.IsTerminal)
        {
            onRaw?.Invoke(first.Raw);
            return first.Value.Job;
        }

        string? lastEventId = null;
        var failures = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            HttpResponseMessage response;
            try
            {
                response = await api.OpenJobStreamAsync(id, lastEventId, ct);
            }
            catch (ServerUnreachableException) when (failures < MaxReconnects)
            {
                failures++;
                note($"The server did not answer; reconnecting in {Backoff(failures).TotalSeconds:0} s ({failures} of {MaxReconnects}).");
                await Task.Delay(Backoff(failures), ct);
                continue;
            }

            using (response)
            {
                if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != "text/event-stream")
                {
                    await StreamUnavailableAsync(response, ct);
                    return await PollAsync(id, state, onRaw, onUpdate, ct);
                }

                try
                {
                    await using var body = await response.Content.ReadAsStreamAsync(ct);
                    await foreach (var e in ServerSentEventReader.ReadAsync(body, ct))
                    {
                        lastEventId = e.Id ?? lastEventId;
                        if (e.Type != "job")
                        {
                            continue;
                        }

                        var raw = Parse(e.Data);
                        var update = ApiJson.Read<JobUpdate>(raw);
                        failures = 0;
                        state.Apply(update.Job, update.NewMetrics);
                        onRaw?.Invoke(raw);
                        onUpdate(state);
                        if (update.Job.IsTerminal)
                        {
                            return update.Job;
                        }
                    }
                }
                catch (Exception e) when ((e is IOException or HttpRequestException) && !ct.IsCancellationRequested)
                {
                    // the connection dropped mid-stream: reconnect below
                }
            }

            // the stream ended (or broke) while the job still runs: a restarted server, a proxy's time-out
            failures++;
            if (failures >= MaxReconnects)
            {
                note($"The live stream dropped {MaxReconnects} times in a row; polling every {PollInterval.TotalSeconds:0} s instead.");
                return await PollAsync(id, state, onRaw, onUpdate, ct);
            }

            note($"The live stream was cut off; reconnecting{(lastEventId is null ? "" : $" from event {lastEventId}")}…");
            await Task.Delay(Backoff(failures), ct);
        }
    }

    private async Task StreamUnavailableAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (!response.IsSuccessStatusCode)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, response.RequestMessage?.RequestUri);
            var problem = await LoraApiClient.ProblemAsync(request, response, ct);
            // the job was there a moment ago: a 404 that names it (deleted meanwhile) or a refused key is an answer, not an outage
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                || problem.Problem.NamesMissingResource)
            {
                throw problem;
            }

            note($"The live stream is not available ({problem.Problem.Error}); polling every {PollInterval.TotalSeconds:0} s instead.");
        }
        else
        {
            note($"The live stream answered {response.Content.Headers.ContentType?.MediaType ?? "no content type"}, not text/event-stream; polling every {PollInterval.TotalSeconds:0} s instead.");
        }
    }

    private async Task<Job> PollAsync(Guid id, JobState state, Action<JsonElement>? onRaw, Action<JobState> onUpdate, CancellationToken ct)
    {
        state.Mode = "polling";
        var lastRevision = -1L;
        var failures = 0;
        while (true)
        {
            ApiData<JobDetails> detail;
            try
            {
                detail = await api.GetJobAsync(id, ct);
                failures = 0;
            }
            catch (ServerUnreachableException) when (++failures < 30)
            {
                note($"The server did not answer; trying again in {PollInterval.TotalSeconds:0} s.");
                await Task.Delay(PollInterval, ct);
                continue;
            }

            var job = detail.Value.Job;
            if (detail.Value.Revision != lastRevision)
            {
                lastRevision = detail.Value.Revision;
                state.Apply(job, detail.Value.Metrics);
                onRaw?.Invoke(detail.Raw);
                onUpdate(state);
            }

            if (job.IsTerminal)
            {
                return job;
            }

            await Task.Delay(PollInterval, ct);
        }
    }

    private static JsonElement Parse(string data)
    {
        try
        {
            using var document = JsonDocument.Parse(data);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new CliException($"The live stream sent an event that is not JSON ({e.Message}).");
        }
    }

    private static TimeSpan Backoff(int failures) => TimeSpan.FromSeconds(Math.Min(10, Math.Pow(2, failures - 1)));
}
