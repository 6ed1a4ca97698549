using System.IO.Compression;
using System.Security.Cryptography;
using LoraPipeline.TestKit;

namespace LoraPipeline.Artifacts.Tests;

/// <summary>
/// "Download all" as one archive (dashboard issue, item 15): a signed, expiring link to a .zip made on the fly
/// from the stored files, whose every entry is byte for byte the file the model lists.
/// </summary>
public sealed class when_a_user_downloads_the_whole_adapter(ClusterHost platform) : IClassFixture<ClusterHost>
{
    [Fact]
    public async Task the_archive_holds_every_listed_file_with_its_sha256_and_its_link_expires_like_the_others()
    {
        var user = await platform.CreateUserAsync();
        var (_, job) = await platform.CompletedJobAsync(user);
        var modelId = job["artifact_id"]!.GetValue<Guid>();
        var model = await platform.ModelAsync(user, modelId);
        var listed = model["artifacts"]!.AsArray().ToDictionary(f => f!["name"]!.GetValue<string>(), f => f!["sha256"]!.GetValue<string>());

        var archive = await (await platform.Host.Scenario(s => s.As(user).Post.Json(new { }).ToUrl($"/api/models/{modelId}/archive"))).Data();
        var url = archive["url"]!.GetValue<string>();
        Assert.EndsWith(".zip", archive["file_name"]!.GetValue<string>());
        Assert.Equal(platform.Clock.GetUtcNow().AddHours(1).ToUnixTimeSeconds(), archive["expires_at"]!.GetValue<DateTimeOffset>().ToUnixTimeSeconds());

        var download = await platform.FetchAsync(url);
        Assert.Equal("application/zip", download.Context.Response.ContentType);
        Assert.Contains(archive["file_name"]!.GetValue<string>(), download.Context.Response.Headers.ContentDisposition.ToString());
        using var zip = new ZipArchive(new MemoryStream(await download.ReadAsBytesAsync()), ZipArchiveMode.Read);
        var unpacked = new Dictionary<string, string>();
        foreach (var entry in zip.Entries)
        {
            await using var content = entry.Open();
            unpacked[entry.FullName] = Convert.ToHexStringLower(await SHA256.HashDataAsync(content));
        }

        Assert.True(listed.Count >= 2, "a trained adapter has its weights and its configuration at least");
        Assert.Equal(listed.OrderBy(f => f.Key), unpacked.OrderBy(f => f.Key));

        // one changed character of the signature, or another path signed for nothing, is refused
        var sig = url.IndexOf("signature=", StringComparison.Ordinal) + "signature=".Length;
        await (await platform.FetchAsync(url[..sig] + (url[sig] == 'A' ? 'B' : 'A') + url[(sig + 1)..], 403)).Problem(403);
        await platform.FetchAsync(url.Replace("/adapter.zip", "/adapter-with-flagged.zip", StringComparison.Ordinal), 403);

        platform.Clock.Advance(TimeSpan.FromMinutes(61));
        var expired = await (await platform.FetchAsync(url, 403)).Problem(403);
        Assert.Contains("expired", expired["details"]!.GetValue<string>());
    }

    [Fact]
    public async Task another_users_model_has_no_archive_and_a_deleted_models_link_stops_working()
    {
        var owner = await platform.CreateUserAsync();
        var stranger = await platform.CreateUserAsync();
        var (_, job) = await platform.CompletedJobAsync(owner);
        var modelId = job["artifact_id"]!.GetValue<Guid>();

        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/models/{modelId}/archive", $"/api/models/{Guid.NewGuid()}/archive", HttpMethod.Post);

        var url = (await (await platform.Host.Scenario(s => s.As(owner).Post.Json(new { }).ToUrl($"/api/models/{modelId}/archive"))).Data())["url"]!.GetValue<string>();
        await platform.Host.Scenario(s =>
        {
            s.As(owner).Delete.Url($"/api/models/{modelId}");
            s.StatusCodeShouldBe(204);
        });
        await (await platform.FetchAsync(url, 404)).Problem(404);
    }
}
