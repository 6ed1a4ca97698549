using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using LoraPipeline.Platform.Http;
using LoraPipeline.Training.Configuration;
using LoraPipeline.Training.Jobs;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace LoraPipeline.Training.Live;

/// <summary>One server-sent event: the job as it is now, the metric points added since the last event, and its revision (as in the job detail).</summary>
public sealed record JobUpdate(JobView Job, IReadOnlyList<JobMetricPoint> NewMetrics, long Revision);

public static class JobStreamEndpoint
{
    private const int MaxPointsPerUpdate = 500;

    /// <summary>
    /// <c>text/event-stream</c> of the job's changes for dashboards: an event named <c>job</c>
    /// whenever the job's stream version moves (its id is that version), then the stream ends once
    /// the job has ended. Clients that cannot use it poll GET /api/jobs/{id}.
    /// </summary>
    [WolverineGet("/api/jobs/{id}/stream", OperationId = "StreamJob"), Tags("Jobs")]
    public static async Task<IResult> Stream(
        Guid id, IQuerySession session, IDocumentStore store, IOptions<TrainingOptions> options, TimeProvider clock, CancellationToken ct)
    {
        if (await session.LoadAsync<TrainingJob>(id, ct) is null)
        {
            throw ApiProblems.NotFound("Job");
        }

        return TypedResults.ServerSentEvents(Updates(store, session.TenantId, id, options.Value.StreamCheckInterval, clock, ct));
    }

    private static async IAsyncEnumerable<SseItem<JobUpdate>> Updates(
        IDocumentStore store, string tenant, Guid id, TimeSpan interval, TimeProvider clock, [EnumeratorCancellation] CancellationToken ct)
    {
        long lastVersion = -1;
        var lastStep = -1;
        while (!ct.IsCancellationRequested)
        {
            JobUpdate? update = null;
            await using (var session = store.QuerySession(tenant))
            {
                var job = await session.LoadAsync<TrainingJob>(id, ct);
                if (job is not null && job.Version != lastVersion)
                {
                    var points = await session.Query<JobMetricPoint>()
                        .Where(p => p.JobId == id && p.Step > lastStep)
                        .OrderBy(p => p.Step)
                        .Take(MaxPointsPerUpdate)
                        .ToListAsync(ct);
                    update = new JobUpdate(JobView.From(job, clock.GetUtcNow()), points, job.Version);
                    lastVersion = job.Version;
                    lastStep = points.Count > 0 ? points[^1].Step : lastStep;
                }
            }

            if (update is not null)
            {
                yield return new SseItem<JobUpdate>(update, "job") { EventId = update.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture) };
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
