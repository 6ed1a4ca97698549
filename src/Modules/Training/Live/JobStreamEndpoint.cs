using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Platform.Limits;
using LoraPipeline.Training.Configuration;
using LoraPipeline.Training.Jobs;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace LoraPipeline.Training.Live;

/// <summary>One server-sent event: the job as it is now, the metric points added since the last event, and its revision (as in the job detail).</summary>
public sealed record JobUpdate(JobView Job, IReadOnlyList<JobMetricPoint> NewMetrics, long Revision);

public static class JobStreamEndpoint
{
    private const int MaxPointsPerUpdate = 500;
    public const string Streams = "job-streams";

    /// <summary>
    /// <c>text/event-stream</c> of the job's changes for dashboards: an event named <c>job</c>
    /// whenever the job's stream version moves, then the stream ends once the job has ended. Each event's id is
    /// <c>{revision}.{last metric step settled}</c>: a client reconnecting with it as <c>Last-Event-ID</c> gets the job as
    /// it is now and only the metric points it has not seen. A stream lasts at most <c>Training:StreamLifetime</c> (then the client reconnects),
    /// and a user may have <c>Training:MaxStreamsPerUser</c> open (429 past it). Clients that cannot use it poll
    /// GET /api/jobs/{id}.
    /// </summary>
    [WolverineGet("/api/jobs/{id}/stream", OperationId = "StreamJob"), Tags("Jobs")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status429TooManyRequests, "application/problem+json")]
    public static async Task<IResult> Stream(
        Guid id, HttpContext http, ClaimsPrincipal caller, IQuerySession session, IDocumentStore store, UserConcurrency concurrency,
        IOptions<TrainingOptions> options, TimeProvider clock, CancellationToken ct)
    {
        if (await session.LoadAsync<TrainingJob>(id, ct) is null)
        {
            throw ApiProblems.NotFound("Job");
        }

        var settings = options.Value;
        var resumeFrom = StreamPosition.Parse(http.Request.Headers["Last-Event-ID"].ToString())
            ?? throw ApiProblems.BadRequest("Invalid Last-Event-ID", "Send back the id of the last event received ({revision}.{step}), or no Last-Event-ID.");
        var open = concurrency.TryAcquire(Streams, caller.UserId(), settings.MaxStreamsPerUser)
            ?? throw new UserLimitExceeded("Too many live streams",
                $"An account may have {settings.MaxStreamsPerUser} live job streams open at once; close one, or poll GET /api/jobs/{{id}}.",
                "open_streams", settings.MaxStreamsPerUser, TimeSpan.FromSeconds(30)).ToProblem();
        http.Response.RegisterForDispose(open); // given back however the stream ends, even if it never starts

        var until = clock.GetUtcNow() + settings.StreamLifetime;
        return TypedResults.ServerSentEvents(Updates(store, session.TenantId, id, resumeFrom, until, settings.StreamCheckInterval, clock, ct));
    }

    private static async IAsyncEnumerable<SseItem<JobUpdate>> Updates(
        IDocumentStore store, string tenant, Guid id, StreamPosition from, DateTimeOffset until, TimeSpan interval, TimeProvider clock,
        [EnumeratorCancellation] CancellationToken ct)
    {
        // a reconnect gets the job as it is now at once (which also sends the response's headers), but only the points it lacks
        var (lastVersion, sent) = (-1L, new SentPoints(from.Step, Validated: true));
        while (!ct.IsCancellationRequested && clock.GetUtcNow() < until)
        {
            JobUpdate? update = null;
            await using (var session = store.QuerySession(tenant))
            {
                var job = await session.LoadAsync<TrainingJob>(id, ct);
                if (job is not null && job.Version != lastVersion)
                {
                    // the last point sent may be an epoch's end, recorded again with its validation loss once validation ends
                    var since = sent.Validated ? sent.Step : sent.Step - 1;
                    var points = (await session.Query<JobMetricPoint>()
                            .Where(p => p.JobId == id && p.Step > since)
                            .OrderBy(p => p.Step)
                            .Take(MaxPointsPerUpdate)
                            .ToListAsync(ct))
                        .Where(sent.IsNews)
                        .ToList();
                    var recent = await JobTiming.RecentPointsAsync(session, id, ct);
                    update = new JobUpdate(JobView.From(job, clock.GetUtcNow(), recent), points, job.Version);
                    lastVersion = job.Version;
                    sent = points.Count > 0 ? new SentPoints(points[^1].Step, points[^1].ValidationLoss is not null) : sent;
                }
            }

            if (update is not null)
            {
                yield return new SseItem<JobUpdate>(update, "job") { EventId = new StreamPosition(lastVersion, sent.Settled).ToString() };
                if (update.Job.IsTerminal)
                {
                    yield break;
                }
            }

            try
            {
                await Task.Delay(interval, clock, ct);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }
}

/// <summary>
/// The last metric point a stream sent, and whether it had its validation loss. One without it is sent again when it
/// gains one; a reconnect (which only knows the <see cref="Settled"/> step) gets it once more either way.
/// </summary>
internal sealed record SentPoints(int Step, bool Validated)
{
    public int Settled => Validated ? Step : Step - 1;

    public bool IsNews(JobMetricPoint p) => p.Step > Step || (p.Step == Step && !Validated && p.ValidationLoss is not null);
}

/// <summary>Where a client is in a job's stream: the revision it has and the last metric step it received.</summary>
internal sealed record StreamPosition(long Revision, int Step)
{
    public static readonly StreamPosition Start = new(-1, -1);

    /// <summary>The start for no Last-Event-ID; null for one that is not ours. A bare revision (an older id) resends every point.</summary>
    public static StreamPosition? Parse(string lastEventId)
    {
        if (string.IsNullOrWhiteSpace(lastEventId))
        {
            return Start;
        }

        var parts = lastEventId.Trim().Split('.');
        if (parts.Length > 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var revision))
        {
            return null;
        }

        if (parts.Length == 1)
        {
            return new StreamPosition(revision, -1);
        }

        return int.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var step) && step >= -1
            ? new StreamPosition(revision, step)
            : null;
    }

    public override string ToString() => $"{Revision.ToString(CultureInfo.InvariantCulture)}.{Step.ToString(CultureInfo.InvariantCulture)}";
}
