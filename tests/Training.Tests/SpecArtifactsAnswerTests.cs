using System.Text.Json;
using LoraPipeline.Training.GpuCluster;

namespace LoraPipeline.Training.Tests;

/// <summary>Both forms of the artifacts answer, as the client reads them from the wire.</summary>
public sealed class SpecArtifactsAnswerTests
{
    [Fact]
    public void the_specs_download_urls_with_model_metadata_give_each_file_its_size_and_checksum()
    {
        var answer = JsonSerializer.Deserialize<ClusterArtifacts>("""
            {"download_urls": {"adapter_model.safetensors": "https://c/a?sig=1", "adapter_config.json": "https://c/b?sig=2"},
             "model_metadata": {"base_model": "m", "files": {"adapter_model.safetensors": {"size": 1234, "sha256": "ab12"}}}}
            """, GpuClusterClient.Json)!;

        var files = ClusterArtifactFiles.Files(answer);

        Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], files.Select(f => f.Name));
        var adapter = files.Single(f => f.Name == "adapter_model.safetensors");
        Assert.Equal((1234L, "ab12", "https://c/a?sig=1", true), (adapter.Size, adapter.Sha256, adapter.DownloadUrl, adapter.ChecksumKnown));
        var config = files.Single(f => f.Name == "adapter_config.json");
        Assert.False(config.ChecksumKnown); // measured and hashed on arrival instead
    }

    [Fact]
    public void the_files_form_wins_when_both_are_given()
    {
        var answer = JsonSerializer.Deserialize<ClusterArtifacts>("""
            {"files": [{"name": "a", "size": 1, "sha256": "x", "download_url": "https://c/a"}], "download_urls": {"b": "https://c/b"}}
            """, GpuClusterClient.Json)!;

        Assert.Equal(["a"], ClusterArtifactFiles.Files(answer).Select(f => f.Name));
    }
}
