using System.Net.Http.Headers;
using LoraPipeline.Training.Contracts;
using Microsoft.Extensions.Options;

namespace LoraPipeline.Training.GpuCluster;

/// <summary>
/// <see cref="IGpuClusterArtifacts"/> over the cluster client. Downloads use their own client with
/// no overall time limit (an adapter can be gigabytes); the cluster's key is only sent to the
/// cluster itself, never to a pre-signed URL on another host.
/// </summary>
internal sealed class ClusterArtifactFiles(GpuClusterClient cluster, IHttpClientFactory clients, IOptions<GpuClusterOptions> options) : IGpuClusterArtifacts
{
    public const string DownloadClient = "gpu-cluster-downloads";

    public async Task<IReadOnlyList<ClusterFile>> ListAsync(string externalJobId, CancellationToken ct) =>
        await cluster.GetArtifactsAsync(externalJobId, ct) switch
        {
            ClusterCall<ClusterArtifacts>.Answered answered => answered.Value.Files.Select(f => new ClusterFile(f.Name, f.Size, f.Sha256, f.DownloadUrl)).ToList(),
            ClusterCall<ClusterArtifacts>.Transient t => throw new ArtifactSourceUnavailableException(t.Reason),
            ClusterCall<ClusterArtifacts>.Refused r => throw new ArtifactSourceUnavailableException($"the GPU cluster refused to list the files ({r.Reason})"),
            _ => throw new ArtifactSourceUnavailableException("the GPU cluster does not know this job any more"),
        };

    public async Task<Stream> OpenAsync(ClusterFile file, CancellationToken ct)
    {
        var http = clients.CreateClient(DownloadClient);
        using var request = new HttpRequestMessage(HttpMethod.Get, file.DownloadUrl);
        var cluster = options.Value.BaseUrl is { } baseUrl ? new Uri(baseUrl) : null;
        var target = new Uri(file.DownloadUrl);
        if (cluster is null || string.Equals(cluster.Authority, target.Authority, StringComparison.OrdinalIgnoreCase))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Value.ApiKey);
        }

        try
        {
            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                response.Dispose();
                throw new ArtifactSourceUnavailableException($"downloading {file.Name} answered {status}");
            }

            return await response.Content.ReadAsStreamAsync(ct);
        }
        catch (HttpRequestException e)
        {
            throw new ArtifactSourceUnavailableException($"downloading {file.Name} failed ({e.Message})");
        }
    }
}
