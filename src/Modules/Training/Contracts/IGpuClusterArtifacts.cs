namespace LoraPipeline.Training.Contracts;

/// <summary>The files a finished job left on the GPU cluster, for the Artifacts module to collect.</summary>
public interface IGpuClusterArtifacts
{
    /// <summary>The job's files with their size and SHA-256. Throws <see cref="ArtifactSourceUnavailableException"/> on a transient fault.</summary>
    Task<IReadOnlyList<ClusterFile>> ListAsync(string externalJobId, CancellationToken ct);

    /// <summary>Opens a file for streaming. Throws <see cref="ArtifactSourceUnavailableException"/> on a transient fault.</summary>
    Task<Stream> OpenAsync(ClusterFile file, CancellationToken ct);
}

public sealed record ClusterFile(string Name, long Size, string Sha256, string DownloadUrl);

/// <summary>The cluster could not give the files right now; try again later.</summary>
public sealed class ArtifactSourceUnavailableException(string reason) : Exception(reason);
