using Alba;
using LoraPipeline.TestKit;
using Wolverine.Tracking;

namespace LoraPipeline.Artifacts.Tests;

/// <summary>The dashboard promises that a deleted model's links stop working; a purge removes its files for real.</summary>
public sealed class when_a_model_is_deleted_or_purged(ClusterHost platform) : IClassFixture<ClusterHost>
{
    [Fact]
    public async Task a_link_given_before_the_delete_stops_working_and_the_purge_removes_the_files()
    {
        var user = await platform.CreateUserAsync();
        var (jobId, job) = await platform.CompletedJobAsync(user);
        var modelId = job["artifact_id"]!.GetValue<Guid>();
        var link = (await platform.LinksAsync(user, modelId))[0]!["url"]!.GetValue<string>();
        await platform.FetchAsync(link); // works while the model exists

        await platform.Host.Scenario(s =>
        {
            s.As(user).Delete.Url($"/api/models/{modelId}");
            s.StatusCodeShouldBe(204);
        });
        await platform.FetchAsync(link, expected: 404);
        var folder = Path.Combine(platform.BlobRoot, "lora-models", user.Id.ToString(), jobId.ToString());
        Assert.NotEmpty(Directory.GetFiles(folder)); // kept: a delete is not a purge

        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(30)).ExecuteAndWaitAsync((Func<Wolverine.IMessageContext, Task>)(async _ =>
            await platform.Host.Scenario(s =>
            {
                s.As(user).Delete.Url($"/api/models/{modelId}?purge=true");
                s.StatusCodeShouldBe(204);
            })));
        Assert.True(!Directory.Exists(folder) || Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Length == 0, "the files are gone");
        await platform.Host.Scenario(s =>
        {
            s.As(user).Delete.Url($"/api/models/{modelId}?purge=true");
            s.StatusCodeShouldBe(404); // nothing left to purge
        });
    }
}
