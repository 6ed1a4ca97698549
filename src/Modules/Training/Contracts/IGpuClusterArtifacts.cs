namespace LoraPipeline.Training.Contracts;

/// <summary>The files a finished job left on the GPU cluster, for the Artifacts module to collect.</summary>
public interface IGpuClusterArtifacts
{
    /// <summary>The job's files with their size and SHA-256. Throws <see cref="ArtifactSourceUnavailableException"/> on a transient fault.</summary>
    Task<IReadOnlyList<ClusterFile>> ListAsync(string externalJobId, CancellationToken ct);

    /// <summary>The adapter files of one of the job's checkpoints (v2 clusters). Throws <see cref="ArtifactSourceUnavailableException"/> when it is not kept.</summary>
    Task<IReadOnlyList<ClusterFile>> ListCheckpointAsync(string externalJobId, int step, CancellationToken ct);

    /// <summary>Opens a file for streaming. Throws <see cref="ArtifactSourceUnavailableException"/> on a transient fault.</summary>
    Task<Stream> OpenAsync(ClusterFile file, CancellationToken ct);
}

/// <summary>A file on the cluster. <paramref name="Size"/> -1 and <paramref name="Sha256"/> "" when the cluster did not say (the spec's <c>download_urls</c> form).</summary>
public sealed record ClusterFile(string Name, long Size, string Sha256, string DownloadUrl)
{
    public bool ChecksumKnown => Sha256.Length > 0;
}

/// <summary>The cluster could not give the files right now; try again later.</summary>
public sealed class ArtifactSourceUnavailableException(string reason) : Exception(reason);
