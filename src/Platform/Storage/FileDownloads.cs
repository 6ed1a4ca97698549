using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;

namespace LoraPipeline.Platform.Storage;

/// <summary>
/// <c>GET /files/{bucket}/{path}?expires=..&amp;signature=..</c>: serves a blob to whoever holds a
/// valid signed link (the GPU cluster fetching a dataset, a user downloading an adapter). No API key:
/// the signature is the credential. Range requests are honoured so large downloads can resume.
/// A forged, altered or expired link is 403; a valid link to a deleted blob, or to one its owning module no
/// longer serves (a deleted model's files), is 404.
/// </summary>
public static class FileDownloads
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new()
    {
        Mappings = { [".jsonl"] = "application/jsonl", [".safetensors"] = "application/octet-stream" },
    };

    public static IEndpointRouteBuilder MapFileDownloads(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/files/{bucket}/{**path}", ["GET", "HEAD"], Download)
            .AllowAnonymous()
            .WithTags("Files")
            .WithSummary("Download a blob through a signed, expiring link (supports Range)");
        return app;
    }

    internal static async Task<IResult> Download(
        string bucket, string? path, string? expires, string? signature, FileLinkSigner signer, IBlobStore blobs, IEnumerable<IBlobOwner> owners,
        CancellationToken ct)
    {
        if (string.IsNullOrEmpty(path))
        {
            return Forbidden("Invalid link", "This download link is not valid: it names no file.");
        }

        switch (signer.Verify(bucket, path, expires, signature))
        {
            case LinkCheck.Expired:
                return Forbidden("Link expired", "This download link has expired; ask for a new one.");
            case LinkCheck.Invalid:
                return Forbidden("Invalid link", "This download link is not valid: it was altered or not issued by us.");
        }

        var location = new BlobLocation(bucket, path);
        var owner = owners.FirstOrDefault(o => o.Bucket == bucket);
        var stream = owner is null || await owner.MayServeAsync(location, ct) ? blobs.OpenRead(location) : null;
        if (stream is null)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "File not found",
                detail: "The file this link points to no longer exists.");
        }

        var contentType = ContentTypes.TryGetContentType(location.FileName, out var type) ? type : "application/octet-stream";
        return Results.File(stream, contentType, location.FileName, enableRangeProcessing: true);
    }

    private static IResult Forbidden(string title, string detail) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: title, detail: detail);
}
