using Alba;
using LoraPipeline.Billing.Budgets;
using LoraPipeline.TestKit;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Webhooks.Tests;

/// <summary>A receiver's platform whose simulator preempts every job once, checkpointing every two steps.</summary>
public sealed class PreemptingWebhookHost : WebhookHost
{
    protected override void ConfigureSimulator(IDictionary<string, string?> settings)
    {
        settings["Simulator:PreemptionRate"] = "1";
        settings["Simulator:CheckpointEvery"] = "2";
    }
}

/// <summary>The lifecycle's and the budget's events reach a user's endpoint, in order, with the API's shapes.</summary>
public sealed class when_a_job_is_paused_or_over_budget(WebhookHost platform) : IClassFixture<WebhookHost>
{
    private WebhookReceiver Receiver => platform.Receiver;

    [Fact]
    public async Task a_paused_job_is_told_as_paused_then_running_again_until_it_succeeds()
    {
        var user = await platform.CreateUserAsync();
        var dataset = (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(40)))["id"]!.GetValue<Guid>();
        var (_, secret) = await platform.CreateWebhookAsync(user, Receiver.UrlFor("pausing"), ["job.running", "job.paused", "job.succeeded"]);
        var job = await platform.StartJobAsync(user, dataset);
        platform.Clock.Advance(TimeSpan.FromSeconds(20)); // training under way on the simulator
        await platform.PollAsync(user, job, 1);

        await LifecycleAsync(user, job, "pause");
        var paused = await Receiver.WaitForAsync("pausing", r => r.OfJob(job).Any(x => x.Type == "job.paused"));
        var pausedEvent = paused.OfJob(job).Single(x => x.Type == "job.paused");
        Assert.Equal("paused", pausedEvent.Json["data"]!["status"]!.GetValue<string>());
        Assert.True(pausedEvent.VerifiesWith(secret));

        await LifecycleAsync(user, job, "resume");
        platform.Clock.Advance(TimeSpan.FromHours(3));
        await platform.PollAsync(user, job, 2);

        var received = await Receiver.WaitForAsync("pausing", r => r.OfJob(job).Any(x => x.Type == "job.succeeded"));
        Assert.Equal(["job.running", "job.paused", "job.running", "job.succeeded"], received.OfJob(job).Select(r => r.Type));
    }

    [Fact]
    public async Task spending_past_80_and_100_percent_of_the_budget_is_told_once_each_with_the_figures()
    {
        var user = await platform.CreateUserAsync();
        var dataset = (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(40)))["id"]!.GetValue<Guid>();
        var (_, secret) = await platform.CreateWebhookAsync(user, Receiver.UrlFor("budget"), ["budget.warning", "budget.exceeded"]);
        await platform.Host.Scenario(s => s.As(user).Put.Json(new { monthly_limit = 5.00m, hard_limit = false }).ToUrl("/api/budget"));
        await platform.StartJobAsync(user, dataset); // one A100 at $3.50 an hour, accruing while it runs

        platform.Clock.Advance(TimeSpan.FromMinutes(72)); // $4.20: 84%
        await CheckBudgetAsync(user);
        await CheckBudgetAsync(user);
        var warned = await Receiver.WaitForAsync("budget", r => r.Count >= 1);
        platform.Clock.Advance(TimeSpan.FromMinutes(20)); // $5.37: over
        await CheckBudgetAsync(user);
        await CheckBudgetAsync(user);
        var received = await Receiver.WaitForAsync("budget", r => r.Count >= 2);

        Assert.Equal(["budget.warning", "budget.exceeded"], received.Select(r => r.Type));
        Assert.Equal("budget.warning", warned[0].Type);
        Assert.All(received, r => Assert.True(r.VerifiesWith(secret)));
        var exceeded = received[1].Json["data"]!;
        Assert.Equal(5.00m, exceeded["monthly_limit"]!.GetValue<decimal>());
        Assert.False(exceeded["hard_limit"]!.GetValue<bool>());
        Assert.True(exceeded["used"]!.GetValue<decimal>() >= 5.00m, exceeded.ToJsonString());
        Assert.True(received[0].Json["data"]!["percent"]!.GetValue<int>() is >= 80 and < 100, received[0].Body);

        // checked again with nothing new: no third delivery
        await CheckBudgetAsync(user);
        Assert.Equal(2, Receiver.On("budget").Count);
    }

    private Task CheckBudgetAsync(TestUser user) => platform.Host.InvokeMessageAndWaitAsync(new CheckBudget(user.Id), user.Tenant, 60_000);

    private Task LifecycleAsync(TestUser user, Guid job, string action) =>
        platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
            await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Url($"/api/jobs/{job}/{action}");
                s.StatusCodeShouldBe(202);
            })));
}

/// <summary>A preempted job is told as recovering, then running again from its checkpoint.</summary>
public sealed class when_a_job_is_preempted(PreemptingWebhookHost platform) : IClassFixture<PreemptingWebhookHost>
{
    [Fact]
    public async Task its_receiver_hears_recovering_with_the_recovery_count_then_running_then_succeeded()
    {
        var user = await platform.CreateUserAsync();
        var dataset = (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(40)))["id"]!.GetValue<Guid>();
        await platform.CreateWebhookAsync(user, platform.Receiver.UrlFor("preempted"));
        var job = await platform.StartJobAsync(user, dataset);

        platform.Clock.Advance(TimeSpan.FromHours(3)); // long enough to finish, had it not been preempted
        await platform.PollAsync(user, job, 1);
        platform.Clock.Advance(TimeSpan.FromSeconds(5)); // the restart done, training again
        await platform.PollAsync(user, job, 2);
        platform.Clock.Advance(TimeSpan.FromHours(3));
        await platform.PollAsync(user, job, 3);

        var received = await platform.Receiver.WaitForAsync("preempted", r => r.OfJob(job).Any(x => x.Type == "job.succeeded"));
        var ofJob = received.OfJob(job);
        Assert.Equal(["job.queued", "job.running", "job.recovering", "job.running", "job.succeeded"], ofJob.Select(r => r.Type));
        var recovering = ofJob[2].Json["data"]!;
        Assert.Equal("recovering", recovering["status"]!.GetValue<string>());
        Assert.Equal(1, recovering["recovery_count"]!.GetValue<int>());
        Assert.Equal(2, ofJob[^1].Json["data"]!["attempt"]!.GetValue<int>());
    }
}
