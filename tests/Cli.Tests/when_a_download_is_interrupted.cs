using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace LoraPipeline.Cli.Tests;

/// <summary>
/// An interrupted download leaves NAME.part behind; the next run asks only for the rest (Range) and
/// checks the whole file's SHA-256. Both tests start from a .part of half the file: with the right
/// bytes the resumed file is whole and right; with wrong bytes it fails its checksum, which can
/// only happen if the first half was kept and just the rest fetched, so the Range path was taken.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class when_a_download_is_interrupted(CliPlatform platform)
{
    private const string Adapter = "adapter_model.safetensors";

    [Fact]
    public async Task the_next_run_resumes_from_the_part_file_with_a_range_request()
    {
        var (model, bytes, sha256) = await AdapterAsync();
        using var user = platform.Alice();
        var folder = Path.Combine(user.Home, "resume");
        Directory.CreateDirectory(folder);
        var half = bytes.Length / 2;
        await File.WriteAllBytesAsync(Path.Combine(folder, Adapter + ".part"), bytes[..half]);

        var result = await user.RunAsync("models", "download", model.ToString(), "--out", folder, "--file", Adapter);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"resumed at byte {half:N0} with a Range request", result.Stdout);
        Assert.Equal(sha256, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(folder, Adapter)))));
        Assert.False(File.Exists(Path.Combine(folder, Adapter + ".part")));
        Assert.Single(Directory.GetFiles(folder)); // --file: only that one
    }

    [Fact]
    public async Task a_file_whose_sha256_does_not_match_is_deleted_and_the_run_fails()
    {
        var (model, bytes, _) = await AdapterAsync();
        using var user = platform.Alice();
        var folder = Path.Combine(user.Home, "corrupt");
        Directory.CreateDirectory(folder);
        var wrong = new byte[bytes.Length / 2]; // the right length for a first half, the wrong bytes
        await File.WriteAllBytesAsync(Path.Combine(folder, Adapter + ".part"), wrong);

        var result = await user.RunAsync("models", "download", model.ToString(), "--out", folder, "--file", Adapter);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("SHA-256", result.Stderr);
        Assert.Contains("was deleted", result.Stderr);
        Assert.False(File.Exists(Path.Combine(folder, Adapter)));
        Assert.False(File.Exists(Path.Combine(folder, Adapter + ".part")));

        // and the run after that starts afresh and succeeds
        var again = await user.RunAsync("models", "download", model.ToString(), "--out", folder, "--file", Adapter);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("downloaded  sha256 ok", again.Stdout);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(folder, Adapter)));
    }

    /// <summary>The adapter's real bytes and checksum, fetched here over the API, to build the .part files from.</summary>
    private async Task<(Guid Model, byte[] Bytes, string Sha256)> AdapterAsync()
    {
        var model = (await platform.ModelAsync()).ModelId;
        using var client = platform.Host.ClientFor(platform.AliceKey);
        var links = await (await client.PostAsJsonAsync($"/api/models/{model}/download", new { files = new[] { Adapter } })).Content.ReadFromJsonAsync<JsonNode>();
        var link = links!["data"]!["links"]![0]!;
        var bytes = await client.GetByteArrayAsync(link["url"]!.GetValue<string>());
        Assert.True(bytes.Length > 1024, "the adapter is too small to cut in half meaningfully");
        return (model, bytes, link["sha256"]!.GetValue<string>());
    }
}
