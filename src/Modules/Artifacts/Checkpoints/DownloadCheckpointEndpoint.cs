using System.Security.Claims;
using LoraPipeline.Artifacts.Collecting;
using LoraPipeline.Artifacts.Downloading;
using LoraPipeline.Artifacts.Model;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Platform.Storage;
using LoraPipeline.Training.Contracts;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Wolverine.Http;

namespace LoraPipeline.Artifacts.Checkpoints;

public sealed record CheckpointLinks(Guid JobId, int Step, IReadOnlyList<DownloadLink> Links);

public static class DownloadCheckpointEndpoint
{
    /// <summary>
    /// Signed links (an hour) to a checkpoint's adapter files. The first request copies them from the cluster (so
    /// it takes as long as the download); 404 for another user's job or a step that is not a checkpoint; 503 while
    /// the cluster cannot give them.
    /// </summary>
    [WolverinePost("/api/jobs/{id}/checkpoints/{step}/download", OperationId = "DownloadCheckpoint"), Tags("Jobs")]
    [ProducesResponseType<ApiResponse<CheckpointLinks>>(StatusCodes.Status200OK)]
    public static async Task<ApiResponse<CheckpointLinks>> Download(
        Guid id, int step, ClaimsPrincipal caller, IDocumentSession session, ITrainingJobs jobs, IGpuClusterArtifacts cluster, IBlobStore blobs,
        FileLinkSigner signer, IOptions<ArtifactOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var userId = caller.UserId();
        var checkpoint = await jobs.FindCheckpointAsync(userId, id, step, ct) ?? throw ApiProblems.NotFound("Checkpoint");
        var stored = await session.LoadAsync<StoredCheckpoint>(StoredCheckpoint.IdFor(id, step), ct)
                     ?? await CopyAsync(session, checkpoint, userId, cluster, blobs, options.Value, clock, ct);

        var links = stored.Files.Select(f =>
        {
            var link = signer.Sign(ModelArtifact.Location(f), options.Value.DownloadLinkLifetime);
            return new DownloadLink(f.Name, f.Size, f.Sha256, link.Url, link.ExpiresAt, false, null);
        }).ToList();
        return Api.Ok(new CheckpointLinks(id, step, links));
    }

    private static async Task<StoredCheckpoint> CopyAsync(
        IDocumentSession session, JobCheckpointReport checkpoint, Guid userId, IGpuClusterArtifacts cluster, IBlobStore blobs, ArtifactOptions options,
        TimeProvider clock, CancellationToken ct)
    {
        var files = new List<ArtifactFile>();
        try
        {
            foreach (var file in await cluster.ListCheckpointAsync(checkpoint.ExternalJobId, checkpoint.Step, ct))
            {
                var location = new BlobLocation(Buckets.Models, StoredCheckpoint.FilePath(userId, checkpoint.JobId, checkpoint.Step, SafeFileName.Of(file.Name)));
                await using var download = await cluster.OpenAsync(file, ct);
                var blob = await blobs.WriteAsync(location, download, options.MaxFileBytes, ct);
                if (file.ChecksumKnown && !string.Equals(blob.Sha256, file.Sha256, StringComparison.OrdinalIgnoreCase))
                {
                    blobs.Delete(location);
                    throw new ArtifactSourceUnavailableException($"{file.Name} arrived with SHA-256 {blob.Sha256}, the cluster announced {file.Sha256}");
                }

                files.Add(new ArtifactFile(file.Name, blob.Size, blob.Sha256, location.Path, null, null));
            }
        }
        catch (Exception e) when (e is ArtifactSourceUnavailableException or IOException or HttpRequestException)
        {
            throw new ApiProblemException(StatusCodes.Status503ServiceUnavailable, "Checkpoint not available",
                $"The GPU cluster could not give the files of the checkpoint at step {checkpoint.Step} right now ({e.Message}); try again later.");
        }

        var stored = new StoredCheckpoint
        {
            Id = StoredCheckpoint.IdFor(checkpoint.JobId, checkpoint.Step), JobId = checkpoint.JobId, Step = checkpoint.Step, Files = files,
            StoredAt = clock.GetUtcNow(),
        };
        session.Store(stored); // two requests at once copy twice and store the same document: harmless
        return stored;
    }
}
