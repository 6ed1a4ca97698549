using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;

namespace LoraPipeline.Billing.Tests;

public sealed class when_a_user_reads_notifications(ClusterHost platform) : IClassFixture<ClusterHost>
{
    [Fact]
    public async Task marking_read_lowers_the_unread_count_idempotently_and_read_all_clears_it()
    {
        var (user, inbox, unread) = await UserWithARunningJobsInboxAsync();
        Assert.True(unread >= 3, $"expected dataset_ready, job_queued and job_started, got {unread}");
        var newest = inbox["notifications"]!.AsArray();
        Assert.True(newest[0]!["created_at"]!.GetValue<DateTimeOffset>() >= newest[^1]!["created_at"]!.GetValue<DateTimeOffset>());

        var id = newest[0]!["id"]!.GetValue<Guid>();
        for (var i = 0; i < 2; i++)
        {
            var read = await (await platform.Host.Scenario(s => s.As(user).Patch.Url($"/api/notifications/{id}/read"))).Data();
            Assert.True(read["read"]!.GetValue<bool>());
        }

        Assert.Equal(unread - 1, (await platform.GetAsync(user, "/api/notifications"))["unread_count"]!.GetValue<long>());
        var onlyUnread = await platform.GetAsync(user, "/api/notifications?unread=true");
        Assert.DoesNotContain(onlyUnread["notifications"]!.AsArray(), n => n!["id"]!.GetValue<Guid>() == id);

        var all = await (await platform.Host.Scenario(s => s.As(user).Post.Url("/api/notifications/read-all"))).Data();
        Assert.Equal(unread - 1, all["marked"]!.GetValue<long>());
        Assert.Equal(0, all["unread_count"]!.GetValue<long>());
        await platform.ProjectionsCaughtUpAsync();
        Assert.Equal(0, (await platform.GetAsync(user, "/api/notifications"))["unread_count"]!.GetValue<long>());
    }

    [Fact]
    public async Task marks_sent_at_the_same_moment_from_several_tabs_all_succeed_and_count_once()
    {
        var (user, inbox, unread) = await UserWithARunningJobsInboxAsync();
        var ids = inbox["notifications"]!.AsArray().Take(3).Select(n => n!["id"]!.GetValue<Guid>()).ToList();

        // each of three notifications marked five times at once: different ones and the same one race
        var marks = ids.SelectMany(id => Enumerable.Repeat(id, 5)).Select(id => platform.Host.Scenario(s =>
        {
            s.As(user).Patch.Url($"/api/notifications/{id}/read");
            s.StatusCodeShouldBeOk();
        }));
        var answers = await Task.WhenAll(marks);
        Assert.All(answers, a => Assert.True(a.ReadAsJson<JsonNode>()!["data"]!["read"]!.GetValue<bool>()));
        Assert.Equal(unread - 3, (await platform.GetAsync(user, "/api/notifications"))["unread_count"]!.GetValue<long>());

        var readAll = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => platform.Host.Scenario(s =>
        {
            s.As(user).Post.Url("/api/notifications/read-all");
            s.StatusCodeShouldBeOk();
        })));
        Assert.Equal(unread - 3, readAll.Sum(a => a.ReadAsJson<JsonNode>()!["data"]!["marked"]!.GetValue<long>()));
        await platform.ProjectionsCaughtUpAsync();
        Assert.Equal(0, (await platform.GetAsync(user, "/api/notifications"))["unread_count"]!.GetValue<long>());
    }

    [Fact]
    public async Task another_users_notification_answers_404_like_a_missing_one()
    {
        var owner = await platform.CreateUserAsync();
        var stranger = await platform.CreateUserAsync();
        await platform.ReadyDatasetAsync(owner);
        await platform.ProjectionsCaughtUpAsync();
        var id = (await platform.GetAsync(owner, "/api/notifications"))["notifications"]![0]!["id"]!.GetValue<Guid>();

        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/notifications/{id}/read", $"/api/notifications/{Guid.NewGuid()}/read", HttpMethod.Patch);
        Assert.Equal(0, (await platform.GetAsync(stranger, "/api/notifications"))["unread_count"]!.GetValue<long>());
        Assert.False((await platform.GetAsync(owner, "/api/notifications"))["notifications"]![0]!["read"]!.GetValue<bool>());
    }

    /// <summary>A user whose dataset is ready and whose job has started, with the inbox that made and its unread count.</summary>
    private async Task<(TestUser User, JsonNode Inbox, long Unread)> UserWithARunningJobsInboxAsync()
    {
        var user = await platform.CreateUserAsync();
        await platform.StartJobAsync(user, await platform.ReadyDatasetAsync(user));
        await platform.ProjectionsCaughtUpAsync();
        var inbox = await platform.GetAsync(user, "/api/notifications");
        return (user, inbox, inbox["unread_count"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("/api/notifications?limit=0")]
    [InlineData("/api/notifications?limit=500")]
    [InlineData("/api/notifications?unread=maybe")]
    [InlineData("/api/costs?period=decade")]
    [InlineData("/api/costs?start_date=2026-13-01&end_date=2026-12-31")]
    [InlineData("/api/costs?start_date=2026-12-31&end_date=2026-01-01")]
    [InlineData("/api/costs?start_date=2026-01-01")]
    public async Task bad_query_parameters_are_400_problems(string url)
    {
        var user = await platform.CreateUserAsync();
        var result = await platform.Host.Scenario(s =>
        {
            s.As(user).Get.Url(url);
            s.StatusCodeShouldBe(400);
        });
        await result.Problem(400);
    }
}
