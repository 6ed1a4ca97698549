using LoraPipeline.Artifacts.Collecting;
using LoraPipeline.Artifacts.Model;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Storage;
using Marten;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace LoraPipeline.Artifacts.Downloading;

/// <summary>Which files (all when left out), and whether flagged files may be linked too.</summary>
public sealed record DownloadModel(IReadOnlyList<string>? Files, bool IncludeFlagged = false);

public sealed record DownloadLink(string FileName, long Size, string Sha256, string Url, DateTimeOffset ExpiresAt, bool Flagged, string? FlaggedReason);

public sealed record DownloadLinks(Guid ModelId, IReadOnlyList<DownloadLink> Links);

public static class DownloadModelEndpoint
{
    /// <summary>
    /// Signed links that expire after an hour, served with Range support so large files resume. A
    /// file flagged as not what it claims is only linked when <c>include_flagged</c> is true.
    /// </summary>
    [WolverinePost("/api/models/{id}/download", OperationId = "DownloadModel"), Tags("Models")]
    public static async Task<ApiResponse<DownloadLinks>> Download(
        Guid id, DownloadModel body, IQuerySession session, FileLinkSigner signer, IOptions<ArtifactOptions> options, CancellationToken ct)
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

        var wanted = body.Files is { Count: > 0 } names ? names : model.Artifacts.Select(f => f.Name).ToList();
        var unknown = wanted.Where(n => model.Artifacts.All(f => f.Name != n)).ToList();
        if (unknown.Count > 0)
        {
            var errors = new FieldErrors();
            errors.Add("files", $"unknown file(s) {string.Join(", ", unknown)}; this model has {string.Join(", ", model.Artifacts.Select(f => f.Name))}");
            throw ApiProblems.Validation(errors);
        }

        var files = model.Artifacts.Where(f => wanted.Contains(f.Name)).ToList();
        if (!body.IncludeFlagged && files.FirstOrDefault(f => f.Flagged) is { } flagged)
        {
            throw ApiProblems.Conflict("File flagged",
                $"{flagged.Name} is not what it claims to be ({flagged.FlaggedReason}); send include_flagged: true to download it anyway.");
        }

        var links = files.Select(f =>
        {
            var link = signer.Sign(ModelArtifact.Location(f), options.Value.DownloadLinkLifetime);
            return new DownloadLink(f.Name, f.Size, f.Sha256, link.Url, link.ExpiresAt, f.Flagged, f.FlaggedReason);
        }).ToList();
        return Api.Ok(new DownloadLinks(id, links));
    }
}
