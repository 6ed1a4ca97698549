using System.Security.Claims;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Datasets.Model;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Platform.Storage;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

namespace LoraPipeline.Datasets.Deleting;

/// <summary>
/// Soft delete: the dataset leaves the lists, its file stays for the jobs that used it. With <c>?purge=true</c>
/// its files are removed for real (the file, the errors list); its record stays so jobs keep their history, and
/// links to its file stop working. Refused (409) while one of its jobs is active. Deleting twice changes nothing.
/// </summary>
public static class DeleteDatasetEndpoint
{
    public static async Task<ProblemDetails> ValidateAsync(Dataset? dataset, bool? purge, ClaimsPrincipal caller, IDatasetUsage usage, CancellationToken ct)
    {
        if (dataset is null)
        {
            return ApiProblems.NotFound("Dataset").ToProblemDetails();
        }

        var changes = dataset.DeletedAt is null || (purge == true && dataset.PurgedAt is null);
        return changes && await usage.HasActiveJobsAsync(caller.UserId(), dataset.Id, ct)
            ? ApiProblems.Conflict("Dataset in use", "A training job of this dataset is queued or running; cancel it or wait for it to end, then delete.").ToProblemDetails()
            : WolverineContinue.NoProblems;
    }

    [WolverineDelete("/api/datasets/{id}", OperationId = "DeleteDataset"), Tags("Datasets")]
    [ProducesResponseType<ApiResponse<DatasetView>>(StatusCodes.Status200OK)]
    public static (IResult, Events, OutgoingMessages) Delete(
        Guid id, bool? purge, [WriteAggregate("id", Required = false)] Dataset? dataset, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var events = new Events();
        var messages = new OutgoingMessages();
        if (dataset!.DeletedAt is null)
        {
            events.Add(new DatasetDeleted(id, now));
        }

        if (purge == true && dataset.PurgedAt is null)
        {
            events.Add(new DatasetPurged(id, now));
            messages.Add(new RemoveDatasetFiles(id));
        }

        return (ReadAfterCommit.Ok<Dataset, DatasetView>(id, d => DatasetView.From(d)), events, messages);
    }
}

/// <summary>Removes a purged dataset's files; a redelivery finds nothing left to remove.</summary>
public static class RemoveDatasetFilesHandler
{
    public static async Task Handle(RemoveDatasetFiles command, IQuerySession session, IBlobStore blobs, CancellationToken ct)
    {
        if (await session.LoadAsync<Dataset>(command.DatasetId, ct) is { PurgedAt: not null } dataset)
        {
            blobs.Delete(dataset.File);
            blobs.Delete(dataset.ErrorsFile);
            blobs.Delete(dataset.ErrorsIndexFile);
        }
    }
}
