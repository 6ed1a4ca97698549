using LoraPipeline.Platform.Http;
using Marten;
using Wolverine.Http;

namespace LoraPipeline.Training.Jobs;

/// <summary>A job's checkpoints, oldest first; their adapters are downloaded with POST /api/jobs/{id}/checkpoints/{step}/download.</summary>
public sealed record JobCheckpoints(Guid JobId, IReadOnlyList<JobCheckpoint> Checkpoints);

public static class JobCheckpointsEndpoint
{
    /// <summary>
    /// The checkpoints the cluster saved for the job (step, time, training and validation loss, the attempt that
    /// saved it, its files), as its reports listed them; empty from a cluster that keeps none.
    /// </summary>
    [WolverineGet("/api/jobs/{id}/checkpoints", OperationId = "ListJobCheckpoints"), Tags("Jobs")]
    public static async Task<ApiResponse<JobCheckpoints>> List(Guid id, IQuerySession session, CancellationToken ct)
    {
        var job = await session.LoadAsync<TrainingJob>(id, ct) ?? throw ApiProblems.NotFound("Job");
        return Api.Ok(new JobCheckpoints(id, job.Checkpoints));
    }
}
