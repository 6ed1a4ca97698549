using LoraPipeline.Datasets.Model;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Storage;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace LoraPipeline.Datasets.Validating;

public static class DownloadDatasetErrorsEndpoint
{
    /// <summary>
    /// The whole errors file of the latest validation as JSON lines (one error per line, in line order, the first
    /// <c>Datasets:MaxErrorsListed</c> of them), streamed from storage rather than read into memory. 404 for a
    /// dataset that is not the caller's, and for one whose validation found no error or left no file.
    /// </summary>
    [WolverineGet("/api/datasets/{id}/errors/download", OperationId = "DownloadDatasetErrors"), Tags("Datasets")]
    [ProducesResponseType(typeof(Stream), StatusCodes.Status200OK, "application/jsonl")]
    public static async Task<IResult> Download(Guid id, IQuerySession session, IBlobStore blobs, CancellationToken ct)
    {
        var dataset = await session.LoadAsync<Dataset>(id, ct) ?? throw ApiProblems.NotFound("Dataset");
        var file = dataset.ErrorCount > 0 && dataset.PurgedAt is null ? blobs.OpenRead(dataset.ErrorsFile) : null;
        if (file is null)
        {
            throw new ApiProblemException(StatusCodes.Status404NotFound, "No errors file",
                "This dataset's latest validation found no errors, so there is no errors file to download.");
        }

        return Results.File(file, "application/jsonl", $"{SafeStem(dataset.FileName)}-errors.jsonl");
    }

    /// <summary>The uploaded file's name without its extension, kept to characters every file system accepts.</summary>
    private static string SafeStem(string fileName)
    {
        var stem = Path.GetFileNameWithoutExtension(fileName);
        var safe = new string(stem.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
        return safe.Length == 0 ? "dataset" : safe;
    }
}
