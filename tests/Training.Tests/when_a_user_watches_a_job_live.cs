using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;

namespace LoraPipeline.Training.Tests;

/// <summary>
/// Real time, nothing driven by hand: the scheduler fires the polls, the simulator pushes signed
/// callbacks (into the in-memory platform) and runs 400 times faster than life.
/// </summary>
public sealed class RealTimeClusterHost : ClusterHost
{
    protected override TimeProvider? TestClock => null;

    protected override void ConfigureSimulator(IDictionary<string, string?> settings)
    {
        settings["Simulator:TimeScale"] = "400"; // about 4 s for this job
        settings["Simulator:CallbackInterval"] = "00:00:00.300";
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["GpuCluster:PollInterval"] = "00:00:00.500";
        settings["GpuCluster:UseCallbacks"] = "true";
        settings["Training:StreamCheckInterval"] = "00:00:00.250";
        settings["Storage:PublicBaseUrl"] = "http://localhost";
    }
}

public sealed class when_a_user_watches_a_job_live(RealTimeClusterHost platform) : IClassFixture<RealTimeClusterHost>
{
    [Fact]
    public async Task the_event_stream_shows_the_job_progress_and_ends_when_it_completes()
    {
        var user = await platform.CreateUserAsync();
        var dataset = (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(60)))["id"]!.GetValue<Guid>();
        var created = await (await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { dataset_id = dataset, preset_id = "fast", gpu_config = new { type = "H100", count = 1 }, hyperparameters = new { epochs = 2, batch_size = 2 } })
                .ToUrl("/api/jobs");
            s.StatusCodeShouldBe(201);
        })).Data();
        var id = created["id"]!.GetValue<Guid>();

        // the response ends when the job ends: reading it whole is waiting for the job
        var stream = await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/jobs/{id}/stream")).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.StartsWith("text/event-stream", stream.Context.Response.ContentType);
        var updates = (await stream.ReadAsTextAsync())
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n').ToDictionary(l => l[..l.IndexOf(':')], l => l[(l.IndexOf(':') + 1)..].Trim()))
            .ToList();

        Assert.All(updates, u => Assert.Equal("job", u["event"]));
        var jobs = updates.Select(u => JsonNode.Parse(u["data"])!).ToList();
        Assert.Equal("completed", jobs[^1]["job"]!["status"]!.GetValue<string>());
        Assert.True(jobs.Count >= 3, $"only {jobs.Count} updates");
        // ids are "{revision}.{last step sent}": both only grow, and the revision is the one in the body
        var versions = updates.Select(u => long.Parse(u["id"].Split('.')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(jobs.Select(j => j["revision"]!.GetValue<long>()), versions);
        var sent = jobs.SelectMany((j, update) => j["new_metrics"]!.AsArray().Select(p =>
            (Update: update, Step: p!["step"]!.GetValue<int>(), Validation: p["validation_loss"]?.GetValue<double?>()))).ToList();
        var points = sent.Select(p => p.Step).ToList();
        Assert.True(points.Count > 5, "the loss curve did not grow while the job ran");
        // each step once, except an epoch's last: sent again when its validation loss arrives (and only then)
        Assert.All(sent.GroupBy(p => p.Step).Where(g => g.Count() > 1), g =>
        {
            Assert.Equal(2, g.Count());
            Assert.Null(g.First().Validation);
            Assert.NotNull(g.Last().Validation);
        });
        // the first epoch's validation loss came live, before the update that ended the job
        Assert.Contains(sent, p => p.Validation is not null && p.Update < jobs.Count - 1);
    }
}
