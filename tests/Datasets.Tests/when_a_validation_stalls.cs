using LoraPipeline.Datasets.Validating;
using LoraPipeline.TestKit;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Datasets.Tests;

/// <summary>The platform on a clock the test moves; the watch runs when the test says so.</summary>
public sealed class ValidationWatchHost : PlatformHost
{
    public ManualClock Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? TestClock => Clock;

    protected override void Configure(IDictionary<string, string?> settings) => settings["Datasets:ValidationWatchInterval"] = "00:00:00";
}

public sealed class when_a_validation_stalls(ValidationWatchHost platform) : IClassFixture<ValidationWatchHost>
{
    [Fact]
    public async Task the_watch_runs_it_again_once_it_has_shown_no_progress_for_longer_than_a_run_may_take()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(20));
        var id = dataset["id"]!.GetValue<Guid>();
        var run = dataset["validation_run"]?.GetValue<int>() ?? 1;

        // a new run is requested, and its message is lost (as after one that failed for good)
        await using (var session = platform.Store.LightweightSession(user.Tenant))
        {
            session.Events.Append(id, new DatasetRevalidationRequested(id, run + 1, LoraPipeline.Datasets.Validation.DatasetFormats.V4WireName, 4096, platform.Clock.GetUtcNow()));
            await session.SaveChangesAsync();
        }

        // the user cannot start another one meanwhile
        await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { }).ToUrl($"/api/datasets/{id}/validate");
            s.StatusCodeShouldBe(409);
        });
        var watch = platform.Host.Services.GetRequiredService<ValidationWatch>();
        Assert.Equal(0, await watch.RerunStalledValidationsAsync(CancellationToken.None));

        platform.Clock.Advance(TimeSpan.FromMinutes(91));
        var round = await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60))
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(_ => watch.RerunStalledValidationsAsync(CancellationToken.None)));
        Assert.Equal(run + 1, round.Executed.MessagesOf<ValidateDataset>().Single(v => v.DatasetId == id).Run);

        var after = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/datasets/{id}"))).Data();
        Assert.Equal("ready", after["status"]!.GetValue<string>());
        Assert.Equal(0, await watch.RerunStalledValidationsAsync(CancellationToken.None));
    }
}
