using System.IO.Compression;
using LoraPipeline.Artifacts.Collecting;
using LoraPipeline.Artifacts.Model;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Platform.Storage;
using Marten;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace LoraPipeline.Artifacts.Downloading;

/// <summary>Whether the archive may hold files flagged as not what they claim (left out otherwise).</summary>
public sealed record ArchiveModel(bool IncludeFlagged = false);

/// <summary>A signed link to the whole adapter as one .zip, and what it will hold.</summary>
public sealed record ArchiveLink(string FileName, string Url, DateTimeOffset ExpiresAt, IReadOnlyList<string> Files, long UncompressedSize);

/// <summary>
/// One download for the whole adapter: <c>POST /api/models/{id}/archive</c> signs an expiring link (like the
/// per-file links), and the link streams a .zip made on the fly from the stored files, entry by entry, so no
/// file is ever held whole in memory and nothing extra is stored.
/// </summary>
public static class ModelArchiveEndpoints
{
    private const string ArchiveFolder = "archive";
    private const string WithFlagged = "adapter-with-flagged.zip";
    private const string WithoutFlagged = "adapter.zip";

    [WolverinePost("/api/models/{id}/archive", OperationId = "ArchiveModel"), Tags("Models")]
    public static async Task<ApiResponse<ArchiveLink>> Sign(
        Guid id, ArchiveModel body, IQuerySession session, FileLinkSigner signer, IOptions<ArtifactOptions> options, CancellationToken ct)
    {
        var model = await LoadServableAsync(session, id, ct);
        var files = Included(model, body.IncludeFlagged);
        if (files.Count == 0)
        {
            throw ApiProblems.Conflict("Every file flagged",
                "Each of this model's files is flagged as not what it claims to be; send include_flagged: true to archive them anyway.");
        }

        var name = body.IncludeFlagged ? WithFlagged : WithoutFlagged;
        var signedAs = new BlobLocation(Buckets.Models, $"{model.UserId}/{model.JobId}/{ArchiveFolder}/{name}");
        var link = signer.SignRoute($"/archives/{signedAs.Path}", signedAs, options.Value.DownloadLinkLifetime);
        return Api.Ok(new ArchiveLink(ArchiveFileName(model), link.Url, link.ExpiresAt, files.Select(f => f.Name).ToList(), files.Sum(f => f.Size)));
    }

    /// <summary>
    /// The archive behind a signed link: no API key, the signature is the credential (403 when altered or
    /// expired; 404 once the model is deleted). Weights are stored as they are (they do not compress); the
    /// small JSON and text files are deflated.
    /// </summary>
    [AllowAnonymous, NotTenanted]
    [WolverineGet("/archives/{userId}/{jobId}/archive/{name}", OperationId = "DownloadModelArchive"), Tags("Models")]
    [ProducesResponseType(typeof(Stream), StatusCodes.Status200OK, "application/zip")]
    public static async Task<IResult> Download(
        Guid userId, Guid jobId, string name, string? expires, string? signature, FileLinkSigner signer, IDocumentStore store, IBlobStore blobs,
        HttpContext context, CancellationToken ct)
    {
        switch (signer.Verify(Buckets.Models, $"{userId}/{jobId}/{ArchiveFolder}/{name}", expires, signature))
        {
            case LinkCheck.Expired:
                throw new ApiProblemException(StatusCodes.Status403Forbidden, "Link expired", "This download link has expired; ask for a new one.");
            case LinkCheck.Invalid:
                throw new ApiProblemException(StatusCodes.Status403Forbidden, "Invalid link", "This download link is not valid: it was altered or not issued by us.");
        }

        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var model = await LoadServableAsync(session, ArtifactCollector.ArtifactIdFor(jobId), ct);
        if (model.PurgedAt is not null)
        {
            throw ApiProblems.NotFound("Model");
        }

        var files = Included(model, includeFlagged: name == WithFlagged);
        // a deflated entry's last bytes are written by a synchronous Dispose inside ZipArchive, which Kestrel refuses
        // by default (the download broke off after its first entry in the browser; the in-process test server allows
        // it): allowed for this response only, where it is the few bytes that end a small JSON or text entry
        if (context.Features.Get<IHttpBodyControlFeature>() is { } bodyControl)
        {
            bodyControl.AllowSynchronousIO = true;
        }

        return Results.Stream(output => WriteZipAsync(output, files, blobs, ct), "application/zip", ArchiveFileName(model));
    }

    private static async Task WriteZipAsync(Stream output, IReadOnlyList<ArtifactFile> files, IBlobStore blobs, CancellationToken ct)
    {
        await using var zip = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, ct);
        foreach (var file in files)
        {
            // a file removed since the link was signed (a purge under way) ends the archive short rather than lying about it
            await using var source = blobs.OpenRead(ModelArtifact.Location(file)) ?? throw new FileNotFoundException($"{file.Name} is no longer stored.");
            var entry = zip.CreateEntry(file.Name, Compresses(file.Name) ? CompressionLevel.Fastest : CompressionLevel.NoCompression);
            await using var target = await entry.OpenAsync(ct);
            await source.CopyToAsync(target, ct);
        }
    }

    private static bool Compresses(string fileName) =>
        Path.GetExtension(fileName).ToLowerInvariant() is ".json" or ".txt" or ".md" or ".jsonl" or ".yaml" or ".yml";

    private static async Task<ModelArtifact> LoadServableAsync(IQuerySession session, Guid id, CancellationToken ct)
    {
        var model = await session.LoadAsync<ModelArtifact>(id, ct);
        if (model is not { DeletedAt: null })
        {
            throw ApiProblems.NotFound("Model");
        }

        if (model.Status is ArtifactStatus.Collecting or ArtifactStatus.Failed)
        {
            throw ApiProblems.Conflict("Model not ready", $"The model's files are not all stored (status '{model.Status.ToString().ToLowerInvariant()}').");
        }

        return model;
    }

    private static List<ArtifactFile> Included(ModelArtifact model, bool includeFlagged) =>
        model.Artifacts.Where(f => includeFlagged || !f.Flagged).ToList();

    /// <summary>The model's name as a file name: "Support chats - 2026-12-03" gives "Support-chats-2026-12-03.zip".</summary>
    private static string ArchiveFileName(ModelArtifact model)
    {
        var words = model.Name.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => new string(w.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.').ToArray()))
            .Where(w => w.Length > 0 && w != "-");
        var stem = string.Join('-', words);
        return (stem.Length == 0 ? "adapter" : stem[..Math.Min(stem.Length, 100)]) + ".zip";
    }
}
