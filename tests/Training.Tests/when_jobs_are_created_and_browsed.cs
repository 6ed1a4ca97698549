using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;
using LoraPipeline.Training.Jobs;
using Marten;
using Marten.Events;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Training.Tests;

public sealed class when_jobs_are_created_and_browsed(ClusterHost platform) : IClassFixture<ClusterHost>
{
    [Fact]
    public async Task creating_twice_with_one_idempotency_key_gives_one_job()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.ReadyDatasetAsync(user);
        var first = await platform.CreateJobAsync(user, dataset, idempotencyKey: "retry-me");
        var again = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { dataset_id = dataset, preset_id = "fast", gpu_config = new { type = "A100-80GB", count = 1 }, hyperparameters = new { epochs = 2, batch_size = 4 } })
                .ToUrl("/api/jobs");
            s.WithRequestHeader("Idempotency-Key", "retry-me");
            s.StatusCodeShouldBe(201);
            s.Header("Idempotency-Replayed").SingleValueShouldEqual("true");
        });
        Assert.Equal(first["id"]!.GetValue<Guid>(), (await again.Data())["id"]!.GetValue<Guid>());

        var list = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/jobs"))).Data();
        Assert.Equal(1, list["pagination"]!["total"]!.GetValue<long>());
    }

    [Fact]
    public async Task concurrent_creates_with_one_key_make_one_job()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.ReadyDatasetAsync(user);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { dataset_id = dataset, preset_id = "fast", gpu_config = new { type = "H100", count = 1 } }).ToUrl("/api/jobs");
            s.WithRequestHeader("Idempotency-Key", "same-key");
            s.StatusCodeShouldBe(201);
        })));

        var ids = new HashSet<Guid>();
        foreach (var result in results)
        {
            ids.Add((await result.Data())["id"]!.GetValue<Guid>());
        }

        Assert.Single(ids);
        await using var session = platform.Store.QuerySession(user.Tenant);
        Assert.Equal(1, await session.Query<TrainingJob>().CountAsync());
    }

    [Fact]
    public async Task reusing_a_key_for_a_different_request_is_a_422()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.ReadyDatasetAsync(user);
        await platform.CreateJobAsync(user, dataset, idempotencyKey: "k1");
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { dataset_id = dataset, preset_id = "quality", gpu_config = new { type = "H100", count = 4 } }).ToUrl("/api/jobs");
            s.WithRequestHeader("Idempotency-Key", "k1");
            s.StatusCodeShouldBe(422);
        });
        await result.Problem(422);
    }

    [Fact]
    public async Task the_job_list_pages_newest_first_with_the_dataset_and_filters_by_status()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.ReadyDatasetAsync(user);
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            platform.Clock.Advance(TimeSpan.FromSeconds(1));
            ids.Add((await platform.CreateJobAsync(user, dataset))["id"]!.GetValue<Guid>());
        }

        await (await platform.Host.Scenario(s => s.As(user).Post.Url($"/api/jobs/{ids[0]}/cancel"))).Data();

        var page = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/jobs?limit=2&page=1"))).Data();
        Assert.Equal(3, page["pagination"]!["total"]!.GetValue<long>());
        Assert.Equal(2, page["pagination"]!["total_pages"]!.GetValue<int>());
        Assert.Equal(ids[2], page["jobs"]![0]!["id"]!.GetValue<Guid>());
        var shown = page["jobs"]![0]!["dataset"]!;
        Assert.Equal("Support chats", shown["name"]!.GetValue<string>());
        Assert.Equal("brightrun_lora_v4", shown["format"]!.GetValue<string>());
        Assert.True(shown["total_training_pairs"]!.GetValue<long>() > 0);
        Assert.True(shown["total_tokens"]!.GetValue<long>() > 0);
        foreach (var bookkeeping in new[] { "idempotency_key", "request_fingerprint", "last_poll_number", "consecutive_status_failures", "version" })
        {
            Assert.Null(page["jobs"]![0]![bookkeeping]);
        }

        var cancelled = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/jobs?status=cancelled"))).Data();
        Assert.Equal(ids[0], cancelled["jobs"]!.AsArray().Single()!["id"]!.GetValue<Guid>());
    }

    [Theory]
    [InlineData("/api/jobs?status=sleeping", "Query string parameter 'status' has the value 'sleeping'; use one of: queued, initializing, running, completed, failed, cancelled, paused, recovering.")]
    [InlineData("/api/jobs?limit=ten", "Query string parameter 'limit' has the value 'ten'; send a whole number.")]
    public async Task an_unparsable_filter_is_a_400_that_says_what_is_accepted_not_which_dotnet_type(string url, string detail)
    {
        var user = await platform.CreateUserAsync();
        var problem = await (await platform.Host.Scenario(s =>
        {
            s.As(user).Get.Url(url);
            s.StatusCodeShouldBe(400);
        })).Problem(400);
        Assert.Equal(detail, problem["detail"]!.GetValue<string>());
        Assert.Equal(detail, problem["details"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_history_lists_every_event_and_rebuilds_the_job_as_of_a_version_or_a_time()
    {
        var user = await platform.CreateUserAsync();
        var id = (await platform.CreateJobAsync(user, await platform.ReadyDatasetAsync(user)))["id"]!.GetValue<Guid>();
        await platform.RunToEndAsync(user, id);

        var history = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/jobs/{id}/events"))).Data();
        var events = history["events"]!.AsArray();
        Assert.Equal(Enumerable.Range(1, events.Count), events.Select(e => e!["version"]!.GetValue<int>()));
        Assert.Equal("training_job_queued", events[0]!["type"]!.GetValue<string>());
        Assert.Equal(id, events[0]!["data"]!["job_id"]!.GetValue<Guid>());
        Assert.Equal("training_job_completed", events.Last(e => e!["type"]!.GetValue<string>() != "artifact_linked")!["type"]!.GetValue<string>());

        var atOne = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/jobs/{id}?as_of=1"))).Data();
        Assert.Equal("queued", atOne["job"]!["status"]!.GetValue<string>());
        Assert.Equal(1, atOne["as_of"]!["version"]!.GetValue<long>());

        var startedAt = events.First(e => e!["type"]!.GetValue<string>() == "training_job_started")!["timestamp"]!.GetValue<DateTimeOffset>();
        var atStart = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/jobs/{id}?as_of={Uri.EscapeDataString(startedAt.ToString("O"))}"))).Data();
        Assert.Equal("running", atStart["job"]!["status"]!.GetValue<string>());

        var bad = await platform.Host.Scenario(s =>
        {
            s.As(user).Get.Url($"/api/jobs/{id}?as_of=yesterday");
            s.StatusCodeShouldBe(400);
        });
        await bad.Problem(400);

        var pastTheEnd = await platform.Host.Scenario(s =>
        {
            s.As(user).Get.Url($"/api/jobs/{id}?as_of={events.Count + 50}");
            s.StatusCodeShouldBe(400);
        });
        Assert.Equal($"as_of={events.Count + 50} is past the end of the job's history: its last version is {events.Count}.",
            (await pastTheEnd.Problem(400))["details"]!.GetValue<string>());
    }

    [Fact]
    public async Task rebuilding_the_projections_from_the_events_gives_the_same_views()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.ReadyDatasetAsync(user);
        var finished = (await platform.CreateJobAsync(user, dataset))["id"]!.GetValue<Guid>();
        await platform.RunToEndAsync(user, finished);
        var cancelled = (await platform.CreateJobAsync(user, dataset))["id"]!.GetValue<Guid>();
        await platform.CancelAsync(user, cancelled);

        await platform.Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(60)); // the cost records shown with a job
        var before = new[] { await platform.JobAsync(user, finished), await platform.JobAsync(user, cancelled) };

        using (var daemon = await platform.Store.BuildProjectionDaemonAsync())
        {
            await daemon.RebuildProjectionAsync<TrainingJobProjection>(CancellationToken.None);
            await daemon.RebuildProjectionAsync<JobMetricPointProjection>(CancellationToken.None);
        }

        var after = new[] { await platform.JobAsync(user, finished), await platform.JobAsync(user, cancelled) };
        for (var i = 0; i < before.Length; i++)
        {
            Assert.Equal(Normalise(before[i]), Normalise(after[i]));
        }
    }

    /// <summary>The view as a user sees it; the document's own stamps are not part of it.</summary>
    private static string Normalise(JsonNode details) => details.ToJsonString();
}
