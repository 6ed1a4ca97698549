using System.Security.Claims;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Datasets.Model;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using Marten;
using Wolverine.Http;

namespace LoraPipeline.Datasets.Deleting;

public static class DeleteDatasetEndpoint
{
    /// <summary>
    /// Soft delete: the dataset leaves the lists, its file stays for the jobs that used it.
    /// Refused (409) while one of its jobs is active. Deleting twice changes nothing.
    /// </summary>
    [WolverineDelete("/api/datasets/{id}", OperationId = "DeleteDataset"), Tags("Datasets")]
    public static async Task<ApiResponse<Dataset>> Delete(
        Guid id, ClaimsPrincipal caller, IDocumentSession session, IDatasetUsage usage, TimeProvider clock, CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<Dataset>(id, ct);
        var dataset = stream.Aggregate ?? throw ApiProblems.NotFound("Dataset");
        if (dataset.DeletedAt is not null)
        {
            return Api.Ok(dataset);
        }

        if (await usage.HasActiveJobsAsync(caller.UserId(), id, ct))
        {
            throw ApiProblems.Conflict("Dataset in use", "A training job of this dataset is queued or running; cancel it or wait for it to end, then delete.");
        }

        stream.AppendOne(new DatasetDeleted(id, clock.GetUtcNow()));
        await session.SaveChangesAsync(ct);
        return Api.Ok((await session.LoadAsync<Dataset>(id, ct))!);
    }
}
