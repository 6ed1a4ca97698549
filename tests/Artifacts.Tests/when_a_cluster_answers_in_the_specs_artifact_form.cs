using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using LoraPipeline.TestKit;
using LoraPipeline.Training.GpuCluster;
using Microsoft.Extensions.DependencyInjection;

namespace LoraPipeline.Artifacts.Tests;

/// <summary>
/// A cluster built to the spec's wording (E04/E05) lists a job's files only as <c>download_urls</c> and
/// <c>model_metadata</c>: no <c>files</c> with sizes and checksums. Our simulator answers both forms, so this host
/// strips its answers down to the spec's.
/// </summary>
public sealed class SpecArtifactsHost : ClusterHost
{
    private static int _stripped;

    /// <summary>Artifacts answers stripped to the spec's form so far (so a test knows the other form was never seen).</summary>
    public static int Stripped => Volatile.Read(ref _stripped);

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddHttpClient<GpuClusterClient>().AddHttpMessageHandler(() => new OnlyDownloadUrls());

    private sealed class OnlyDownloadUrls : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.RequestUri!.AbsolutePath.Contains("/training/artifacts/", StringComparison.Ordinal) && response.StatusCode == HttpStatusCode.OK)
            {
                var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))!.AsObject();
                answer.Remove("files");
                Interlocked.Increment(ref _stripped);
                response.Content = new StringContent(answer.ToJsonString(), Encoding.UTF8, "application/json");
            }

            return response;
        }
    }
}

public sealed class when_a_cluster_answers_in_the_specs_artifact_form(SpecArtifactsHost platform) : IClassFixture<SpecArtifactsHost>
{
    [Fact]
    public async Task the_model_is_collected_from_the_download_urls_with_sizes_and_checksums_measured_on_arrival()
    {
        var user = await platform.CreateUserAsync();
        var (_, job) = await platform.CompletedJobAsync(user);

        Assert.True(SpecArtifactsHost.Stripped > 0, "the platform saw the answer without its files list");
        var modelId = job["artifact_id"]!.GetValue<Guid>();
        var model = await platform.ModelAsync(user, modelId);
        Assert.Equal("stored", model["status"]!.GetValue<string>());
        var files = model["artifacts"]!.AsArray();
        Assert.Equal(4, files.Count);

        var adapter = files.Single(f => f!["name"]!.GetValue<string>() == "adapter_model.safetensors")!;
        var link = (await platform.LinksAsync(user, modelId)).Single(l => l!["file_name"]!.GetValue<string>() == "adapter_model.safetensors")!;
        var bytes = await (await platform.FetchAsync(link["url"]!.GetValue<string>())).ReadAsBytesAsync();
        Assert.Equal(adapter["size"]!.GetValue<long>(), bytes.LongLength);
        Assert.Equal(adapter["sha256"]!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal(8, model["adapter"]!["rank"]!.GetValue<int>()); // described from its own files, as from the other form
    }
}
