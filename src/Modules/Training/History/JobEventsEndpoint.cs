using System.Text.Json;
using LoraPipeline.Platform.Http;
using Marten;
using Wolverine.Http;

namespace LoraPipeline.Training.History;

/// <summary>
/// One event of a job's stream as the audit history shows it. Not the store-wide sequence number: its
/// gaps would tell a user how busy everyone else is. <paramref name="Log"/> is what the event says in the job's
/// log (<see cref="JobTimeline"/>, the rule the OpenAI-compatible events use too): one line per metric point,
/// none for bookkeeping.
/// </summary>
public sealed record JobEvent(long Version, string Type, DateTimeOffset Timestamp, object Data, IReadOnlyList<JobLogLine> Log);

/// <summary>A line of a job's log: level info, warn or error; the step of the metric point it describes, if any.</summary>
public sealed record JobLogLine(string Level, string Message, int? Step);

public sealed record JobHistory(Guid JobId, IReadOnlyList<JobEvent> Events);

public static class JobEventsEndpoint
{
    /// <summary>The job's whole event stream, in order: its replayable audit history.</summary>
    [WolverineGet("/api/jobs/{id}/events", OperationId = "ListJobEvents"), Tags("Jobs")]
    public static async Task<ApiResponse<JobHistory>> List(Guid id, IQuerySession session, CancellationToken ct)
    {
        var events = await session.Events.FetchStreamAsync(id, token: ct);
        if (events.Count == 0 || events[0].Data is not LoraPipeline.Training.Contracts.TrainingJobQueued)
        {
            throw ApiProblems.NotFound("Job");
        }

        var lines = JobTimeline.Describe(events.Select(e => new StreamEntry(e.Version, e.Timestamp, e.Data)).ToList())
            .ToLookup(line => line.Version, line => new JobLogLine(line.Level, line.Message, line.Metrics?.Step));
        var history = events
            .Select(e => new JobEvent(e.Version, e.EventTypeName, e.Timestamp, e.Data, lines[e.Version].ToList()))
            .ToList();
        return Api.Ok(new JobHistory(id, history));
    }
}
