using Alba;
using LoraPipeline.Platform.Storage;
using LoraPipeline.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Wolverine.Tracking;

namespace LoraPipeline.Datasets.Tests;

/// <summary>
/// A soft delete keeps a dataset's file for the jobs that used it; a purge removes it for real, and the sweeper
/// removes what no record refers to (a write whose record never committed, a temporary file of a dropped upload).
/// </summary>
public sealed class when_a_dataset_is_purged(PlatformHost platform) : IClassFixture<PlatformHost>
{
    [Fact]
    public async Task its_files_are_removed_its_record_stays_and_it_cannot_be_validated_again()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(5));
        var id = dataset["id"]!.GetValue<Guid>();
        var folder = Path.Combine(platform.BlobRoot, "lora-datasets", user.Id.ToString(), id.ToString());
        Assert.True(File.Exists(Path.Combine(folder, "dataset.jsonl")));

        IScenarioResult? purged = null;
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(30)).ExecuteAndWaitAsync((Func<Wolverine.IMessageContext, Task>)(async _ =>
            purged = await platform.Host.Scenario(s => s.As(user).Delete.Url($"/api/datasets/{id}?purge=true"))));

        var view = await purged!.Data();
        Assert.NotNull(view["deleted_at"]);
        Assert.NotNull(view["purged_at"]);
        Assert.False(File.Exists(Path.Combine(folder, "dataset.jsonl")));
        Assert.False(File.Exists(Path.Combine(folder, "validation-errors.jsonl")));
        var again = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { }).ToUrl($"/api/datasets/{id}/validate");
            s.StatusCodeShouldBe(409);
        });
        Assert.Contains("Dataset", (await again.Problem(409))["error"]!.GetValue<string>());
        // still readable, for the jobs' history
        Assert.NotNull((await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/datasets/{id}"))).Data())["purged_at"]);
    }

    [Fact]
    public async Task the_sweeper_removes_stale_temporary_files_and_blobs_no_record_refers_to_and_keeps_the_rest()
    {
        var user = await platform.CreateUserAsync();
        var kept = (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(5)))["id"]!.GetValue<Guid>();
        var bucket = Path.Combine(platform.BlobRoot, "lora-datasets");
        var keptFile = Path.Combine(bucket, user.Id.ToString(), kept.ToString(), "dataset.jsonl");
        var orphan = Path.Combine(bucket, user.Id.ToString(), Guid.NewGuid().ToString(), "dataset.jsonl");
        var staleTemp = Path.Combine(bucket, ".incoming", Guid.NewGuid().ToString("N"));
        var freshTemp = Path.Combine(bucket, ".incoming", Guid.NewGuid().ToString("N"));
        foreach (var file in new[] { orphan, staleTemp, freshTemp })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, "{}\n");
        }

        var longAgo = DateTime.UtcNow.AddDays(-1);
        foreach (var file in new[] { keptFile, orphan, staleTemp })
        {
            File.SetLastWriteTimeUtc(file, longAgo);
        }

        var (temporary, unreferenced) = await platform.Services.GetRequiredService<BlobSweeper>().SweepAsync(CancellationToken.None);

        Assert.True(File.Exists(keptFile), "a dataset's own file is kept");
        Assert.False(File.Exists(orphan), "a file no dataset refers to is swept");
        Assert.False(File.Exists(staleTemp), "a temporary file of a write that never finished is swept");
        Assert.True(File.Exists(freshTemp), "a write in progress is left alone");
        Assert.True(temporary >= 1 && unreferenced >= 1);
    }
}
