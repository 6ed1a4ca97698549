using System.Net.Http.Headers;
using System.Text.Json;
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

    public Task<IReadOnlyList<ClusterFile>> ListAsync(string externalJobId, CancellationToken ct) => ListAsync(externalJobId, null, ct);

    public Task<IReadOnlyList<ClusterFile>> ListCheckpointAsync(string externalJobId, int step, CancellationToken ct) => ListAsync(externalJobId, step, ct);

    private async Task<IReadOnlyList<ClusterFile>> ListAsync(string externalJobId, int? checkpointStep, CancellationToken ct) =>
        await cluster.GetArtifactsAsync(externalJobId, ct, checkpointStep) switch
        {
            ClusterCall<ClusterArtifacts>.Answered answered => Files(answered.Value),
            ClusterCall<ClusterArtifacts>.Transient t => throw new ArtifactSourceUnavailableException(t.Reason),
            ClusterCall<ClusterArtifacts>.Refused r => throw new ArtifactSourceUnavailableException($"the GPU cluster refused to list the files ({r.Reason})"),
            _ when checkpointStep is { } step => throw new ArtifactSourceUnavailableException($"the GPU cluster keeps no checkpoint of step {step} any more"),
            _ => throw new ArtifactSourceUnavailableException("the GPU cluster does not know this job any more"),
        };

    /// <summary>
    /// The files of either form of the answer: <c>files</c> with size and SHA-256, or only the spec's
    /// <c>download_urls</c>, whose sizes and SHA-256 come from <c>model_metadata.files</c> when it gives them and are
    /// otherwise unknown (empty): measured and hashed on arrival instead of checked.
    /// </summary>
    public static IReadOnlyList<ClusterFile> Files(ClusterArtifacts answer)
    {
        if (answer.Files is { Count: > 0 } files)
        {
            return files.Select(f => new ClusterFile(f.Name, f.Size, f.Sha256, f.DownloadUrl)).ToList();
        }

        var described = answer.ModelMetadata is { ValueKind: JsonValueKind.Object } metadata
                        && metadata.TryGetProperty("files", out var byName) && byName.ValueKind == JsonValueKind.Object
            ? byName
            : (JsonElement?)null;
        return (answer.DownloadUrls ?? new Dictionary<string, string>())
            .OrderBy(u => u.Key, StringComparer.Ordinal)
            .Select(u =>
            {
                long size = -1;
                var sha256 = "";
                if (described is { } d && d.TryGetProperty(u.Key, out var file) && file.ValueKind == JsonValueKind.Object)
                {
                    size = file.TryGetProperty("size", out var s) && s.TryGetInt64(out var n) ? n : -1;
                    sha256 = file.TryGetProperty("sha256", out var h) && h.ValueKind == JsonValueKind.String ? h.GetString()! : "";
                }

                return new ClusterFile(u.Key, size, sha256, u.Value);
            })
            .ToList();
    }

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

            return new IdleTimeoutStream(await response.Content.ReadAsStreamAsync(ct), options.Value.DownloadIdleTimeout, file.Name);
        }
        catch (HttpRequestException e)
        {
            throw new ArtifactSourceUnavailableException($"downloading {file.Name} failed ({e.Message})");
        }
    }
}
