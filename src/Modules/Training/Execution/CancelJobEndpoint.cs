using LoraPipeline.Platform.Http;
using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Jobs;
using Marten;
using Wolverine;
using Wolverine.Http;

namespace LoraPipeline.Training.Execution;

public static class CancelJobEndpoint
{
    /// <summary>
    /// Cancel a queued, initializing or running job; it stops costing at once. Any other status is
    /// a 409 that names it.
    /// </summary>
    [WolverinePost("/api/jobs/{id}/cancel", OperationId = "CancelJob"), Tags("Jobs")]
    public static async Task<ApiResponse<JobView>> Cancel(Guid id, IMessageBus bus, IQuerySession session, CancellationToken ct)
    {
        var outcome = await bus.InvokeAsync<CancelOutcome>(new CancelTrainingJob(id, "Cancelled by the user."), ct);
        if (!outcome.Found)
        {
            throw ApiProblems.NotFound("Job");
        }

        if (!outcome.Cancelled)
        {
            throw ApiProblems.Conflict("Job cannot be cancelled",
                $"Only a job that has not ended can be cancelled; this job is '{outcome.Status}'.", new { status = outcome.Status });
        }

        return Api.Ok(JobView.From((await session.LoadAsync<TrainingJob>(id, ct))!));
    }
}
