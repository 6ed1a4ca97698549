using System.Security.Claims;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Datasets.Model;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;
using Wolverine.Marten;

namespace LoraPipeline.Datasets.Deleting;

/// <summary>
/// Soft delete: the dataset leaves the lists, its file stays for the jobs that used it. Refused (409)
/// while one of its jobs is active. Deleting twice changes nothing.
/// </summary>
public static class DeleteDatasetEndpoint
{
    public static async Task<ProblemDetails> ValidateAsync(Dataset? dataset, ClaimsPrincipal caller, IDatasetUsage usage, CancellationToken ct)
    {
        if (dataset is null)
        {
            return ApiProblems.NotFound("Dataset").ToProblemDetails();
        }

        return dataset.DeletedAt is null && await usage.HasActiveJobsAsync(caller.UserId(), dataset.Id, ct)
            ? ApiProblems.Conflict("Dataset in use", "A training job of this dataset is queued or running; cancel it or wait for it to end, then delete.").ToProblemDetails()
            : WolverineContinue.NoProblems;
    }

    [WolverineDelete("/api/datasets/{id}", OperationId = "DeleteDataset"), Tags("Datasets")]
    [ProducesResponseType<ApiResponse<DatasetView>>(StatusCodes.Status200OK)]
    public static (IResult, Events) Delete(Guid id, [WriteAggregate("id", Required = false)] Dataset? dataset, TimeProvider clock) =>
        (ReadAfterCommit.Ok<Dataset, DatasetView>(id, d => DatasetView.From(d)),
         dataset!.DeletedAt is null ? [new DatasetDeleted(id, clock.GetUtcNow())] : []);
}
