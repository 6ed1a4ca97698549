using System.Security.Claims;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.OpenAi.Errors;
using LoraPipeline.OpenAi.FineTuning;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Platform.Storage;
using LoraPipeline.Training.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace LoraPipeline.OpenAi.Files;

/// <summary>OpenAI's Files API over datasets: a <c>fine-tune</c> file is a dataset, validated in the background.</summary>
public static class FileEndpoints
{
    private const long FormOverheadBytes = 1024 * 1024;

    /// <summary>Upload a JSONL training file (multipart: <c>file</c>, <c>purpose=fine-tune</c>); it is a dataset named after the file.</summary>
    [WolverinePost("/v1/files", OperationId = "OpenAiUploadFile"), Tags("OpenAI-compatible")]
    [DisableRequestSizeLimit] // replaced per request below, from Datasets:MaxUploadBytes
    public static async Task<IResult> Upload(HttpContext http, ClaimsPrincipal caller, IDatasetFiles files, CancellationToken ct)
    {
        if (!http.Request.HasFormContentType)
        {
            throw OpenAiException.BadRequest("Send the file as multipart/form-data with a 'file' part and 'purpose=fine-tune'.", "file");
        }

        var maxBytes = files.MaxUploadBytes + FormOverheadBytes;
        if (http.Request.ContentLength > maxBytes)
        {
            throw new OpenAiException(413, $"A file may have at most {files.MaxUploadBytes:N0} bytes.", "file", "file_too_large");
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = maxBytes;
        }

        // the form is buffered to a temporary file (not memory) so that 'purpose' is checked before anything is stored
        http.Features.Set<IFormFeature>(new FormFeature(http.Request, new FormOptions { MultipartBodyLengthLimit = maxBytes }));
        var form = await http.Request.ReadFormAsync(ct);
        var purpose = form["purpose"].ToString();
        if (purpose != FileObject.FineTune)
        {
            throw OpenAiException.BadRequest(
                $"'{purpose}' is not a supported purpose; LoraPipeline keeps training files only: use purpose 'fine-tune'.", "purpose", "invalid_purpose");
        }

        if (form.Files.GetFile("file") is not { } file || form.Files.Count != 1)
        {
            throw OpenAiException.BadRequest("Send exactly one file, in the part named 'file'.", "file");
        }

        await using var content = file.OpenReadStream();
        var dataset = await files.UploadAsync(caller.UserId(), file.FileName, file.ContentType, content, ct);
        return Results.Json(FileObject.From(dataset), OpenAiJson.Options);
    }

    /// <summary>The caller's files, newest first (<c>order=asc</c> for oldest first), paged by <c>after</c> and <c>limit</c>.</summary>
    [WolverineGet("/v1/files", OperationId = "OpenAiListFiles"), Tags("OpenAI-compatible")]
    public static async Task<IResult> List(
        string? purpose, int? limit, string? order, string? after, ClaimsPrincipal caller, IDatasetFiles files, CancellationToken ct)
    {
        var size = OpenAiList<FileObject>.Limit(limit, 10_000, 10_000);
        if (order is not (null or "asc" or "desc"))
        {
            throw OpenAiException.BadRequest("order must be 'asc' or 'desc'.", "order");
        }

        IReadOnlyList<FileObject> all = purpose is null or FileObject.FineTune
            ? (await files.ListAsync(caller.UserId(), ct)).Select(FileObject.From).ToList()
            : [];
        if (order == "asc")
        {
            all = all.Reverse().ToList();
        }

        return Results.Json(OpenAiList<FileObject>.Page(all, f => f.Id, after, size), OpenAiJson.Options);
    }

    [WolverineGet("/v1/files/{file_id}", OperationId = "OpenAiGetFile"), Tags("OpenAI-compatible")]
    public static async Task<IResult> Get(
        string file_id, ClaimsPrincipal caller, IDatasetFiles files, ITrainingJobCommands jobs, CancellationToken ct)
    {
        if (OpenAiIds.TryParse(file_id, OpenAiIds.ResultFile, out var jobId))
        {
            var log = await TrainingLog.FindAsync(caller.UserId(), jobId.Value, jobs, ct) ?? throw OpenAiException.NotFound("file", file_id, "file_id");
            return Results.Json(log.File, OpenAiJson.Options);
        }

        var dataset = await FindAsync(file_id, caller, files, ct);
        return Results.Json(FileObject.From(dataset), OpenAiJson.Options);
    }

    /// <summary>The file's bytes: the JSONL as uploaded, or a job's training log (CSV) for a result file.</summary>
    [WolverineGet("/v1/files/{file_id}/content", OperationId = "OpenAiGetFileContent"), Tags("OpenAI-compatible")]
    public static async Task<IResult> Content(
        string file_id, ClaimsPrincipal caller, IDatasetFiles files, ITrainingJobCommands jobs, IBlobStore blobs, CancellationToken ct)
    {
        if (OpenAiIds.TryParse(file_id, OpenAiIds.ResultFile, out var jobId))
        {
            var log = await TrainingLog.FindAsync(caller.UserId(), jobId.Value, jobs, ct) ?? throw OpenAiException.NotFound("file", file_id, "file_id");
            return Results.Bytes(log.Content, "text/csv", log.File.Filename);
        }

        var dataset = await FindAsync(file_id, caller, files, ct);
        var stream = blobs.OpenRead(dataset.File)
                     ?? throw OpenAiException.NotFound("file content (its bytes were purged)", file_id, "file_id");
        return Results.Stream(stream, "application/octet-stream", dataset.FileName);
    }

    /// <summary>Deletes the file (a soft delete: jobs that trained on it keep their history). Refused while a job uses it.</summary>
    [WolverineDelete("/v1/files/{file_id}", OperationId = "OpenAiDeleteFile"), Tags("OpenAI-compatible")]
    public static async Task<IResult> Delete(string file_id, ClaimsPrincipal caller, IDatasetFiles files, CancellationToken ct)
    {
        var dataset = await FindAsync(file_id, caller, files, ct);
        await files.DeleteAsync(caller.UserId(), dataset.Id, ct);
        return Results.Json(new FileDeleted(file_id, true), OpenAiJson.Options);
    }

    /// <summary>The caller's file that is not deleted, or a 404 (another user's file included).</summary>
    internal static async Task<DatasetFile> FindAsync(string fileId, ClaimsPrincipal caller, IDatasetFiles files, CancellationToken ct) =>
        OpenAiIds.TryParse(fileId, OpenAiIds.File, out var id) && await files.FindAsync(caller.UserId(), id.Value, ct) is { Deleted: false } dataset
            ? dataset
            : throw OpenAiException.NotFound("file", fileId, "file_id");
}
