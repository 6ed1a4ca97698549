using System.Security.Cryptography;
using Alba;
using LoraPipeline.Artifacts.Collecting;
using LoraPipeline.Artifacts.Model;
using LoraPipeline.TestKit;
using Marten;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Artifacts.Tests;

/// <summary>
/// A collection started again skips the files an earlier attempt stored, but only once their bytes still hash to
/// what was recorded: a file damaged on disk meanwhile (a bad sector, a half-restored backup) is downloaded again.
/// </summary>
public sealed class when_a_resumed_collection_finds_a_damaged_file(ClusterHost platform) : IClassFixture<ClusterHost>
{
    [Fact]
    public async Task the_damaged_file_is_downloaded_again_and_the_intact_ones_are_not()
    {
        var user = await platform.CreateUserAsync();
        var (jobId, _) = await platform.CompletedJobAsync(user);
        var modelId = ArtifactCollector.ArtifactIdFor(jobId);
        var stored = await platform.ModelAsync(user, modelId);
        var adapter = stored["artifacts"]!.AsArray().Single(f => f!["name"]!.GetValue<string>() == "adapter_model.safetensors")!;
        var path = Path.Combine(platform.BlobRoot, "lora-models", adapter["storage_path"]!.GetValue<string>());
        var original = await File.ReadAllBytesAsync(path);

        // the model as a failed collection would leave it (the files stored so far kept), and one file damaged on disk
        await using (var session = platform.Store.LightweightSession(user.Tenant))
        {
            session.Events.Append(modelId, new ArtifactCollectionFailed(modelId, "test: storage went away", platform.Clock.GetUtcNow()));
            await session.SaveChangesAsync();
        }

        var damaged = (byte[])original.Clone();
        damaged[^1] ^= 0xFF; // same size, other bytes
        await File.WriteAllBytesAsync(path, damaged);

        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
            await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Url($"/api/models/{modelId}/collect");
                s.StatusCodeShouldBe(202);
            })));

        Assert.Equal(adapter["sha256"]!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path))));
        await using var query = platform.Store.QuerySession(user.Tenant);
        var storedAgain = (await query.Events.FetchStreamAsync(modelId)).Select(e => e.Data).OfType<ArtifactFileStored>().Select(e => e.FileName).ToList();
        // four files in the first collection, then only the damaged one again
        Assert.Equal(5, storedAgain.Count);
        Assert.Equal("adapter_model.safetensors", storedAgain[^1]);
    }
}
