using System.Text.Json;
using LoraPipeline.Platform.Http;
using Marten;
using Wolverine.Http;

namespace LoraPipeline.Training.History;

/// <summary>
/// One event of a job's stream as the audit history shows it. Not the store-wide sequence number: its
/// gaps would tell a user how busy everyone else is.
/// </summary>
public sealed record JobEvent(long Version, string Type, DateTimeOffset Timestamp, object Data);

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

        var history = events
            .Select(e => new JobEvent(e.Version, e.EventTypeName, e.Timestamp, e.Data))
            .ToList();
        return Api.Ok(new JobHistory(id, history));
    }
}
