using Alba;
using LoraPipeline.Billing.Budgets;
using LoraPipeline.TestKit;
using Wolverine.Tracking;

namespace LoraPipeline.Billing.Tests;

public sealed class when_a_user_sets_a_budget(ClusterHost platform) : IClassFixture<ClusterHost>
{
    private Task CheckAsync(TestUser user) => platform.Host.InvokeMessageAndWaitAsync(new CheckBudget(user.Id), user.Tenant, 60_000);

    private Task<Alba.IScenarioResult> SetAsync(TestUser user, object body, int status = 200) => platform.Host.Scenario(s =>
    {
        s.As(user).Put.Json(body).ToUrl("/api/budget");
        s.StatusCodeShouldBe(status);
    });

    [Fact]
    public async Task alerts_come_once_at_80_and_100_percent_counting_the_running_jobs_accruing_cost()
    {
        var user = await platform.CreateUserAsync();
        await SetAsync(user, new { monthly_limit = 10.00m, hard_limit = false });
        await platform.StartJobAsync(user, await platform.ReadyDatasetAsync(user), gpu: "A100-80GB", count: 2); // $7/h

        platform.Clock.Advance(TimeSpan.FromMinutes(72)); // $8.40 accruing: 84%
        var budget = await platform.GetAsync(user, "/api/budget");
        Assert.Equal(8.40m, budget["accruing"]!.GetValue<decimal>());
        Assert.Equal("warning", budget["status"]!.GetValue<string>());
        await CheckAsync(user);
        await CheckAsync(user);

        platform.Clock.Advance(TimeSpan.FromMinutes(20)); // $10.73: over
        await CheckAsync(user);
        await CheckAsync(user);
        await platform.ProjectionsCaughtUpAsync();

        var inbox = (await platform.GetAsync(user, "/api/notifications?limit=100"))["notifications"]!.AsArray();
        Assert.Single(inbox, n => n!["type"]!.GetValue<string>() == "budget_warning");
        var exceeded = Assert.Single(inbox, n => n!["type"]!.GetValue<string>() == "budget_exceeded")!;
        Assert.Equal("/costs", exceeded["action_url"]!.GetValue<string>());
        Assert.Equal("exceeded", (await platform.GetAsync(user, "/api/budget"))["status"]!.GetValue<string>());
        // without a hard limit the job keeps running
        Assert.Equal("running", (await platform.GetAsync(user, "/api/jobs"))["jobs"]![0]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_hard_limit_refuses_new_jobs_and_cancels_running_ones_at_the_limit()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.ReadyDatasetAsync(user);
        await SetAsync(user, new { monthly_limit = 5.00m, hard_limit = true });
        var job = await platform.StartJobAsync(user, dataset, gpu: "A100-80GB", count: 2); // estimate well under $5

        platform.Clock.Advance(TimeSpan.FromMinutes(45)); // $5.25 accruing
        var refused = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { dataset_id = dataset, preset_id = "fast", gpu_config = new { type = "H100", count = 1 } }).ToUrl("/api/jobs");
            s.StatusCodeShouldBe(402);
        });
        var problem = await refused.Problem(402);
        Assert.Contains("hard monthly budget of $5.00", problem["details"]!.GetValue<string>());

        await CheckAsync(user);
        var cancelled = await platform.JobAsync(user, job);
        Assert.Equal("cancelled", cancelled["status"]!.GetValue<string>());
        Assert.Equal(5.25m, cancelled["final_cost"]!.GetValue<decimal>());
        Assert.Contains("hard limit", cancelled["error_message"]!.GetValue<string>());
    }

    [Fact]
    public async Task a_hard_limit_counts_what_unfinished_jobs_are_still_expected_to_cost()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.ReadyDatasetAsync(user);
        var body = new { dataset_id = dataset, preset_id = "fast", gpu_config = new { type = "A100-80GB", count = 1 }, hyperparameters = new { epochs = 2, batch_size = 4 } };
        var estimate = (await (await platform.Host.Scenario(s => s.As(user).Post.Json(body).ToUrl("/api/jobs/estimate"))).Data())["estimated_cost"]!.GetValue<decimal>();
        await SetAsync(user, new { monthly_limit = Math.Round(estimate * 1.5m, 2), hard_limit = true });

        await platform.StartJobAsync(user, dataset); // nothing spent yet: admitted
        // nothing spent yet either, but the first job will cost about its estimate: two do not fit in 1.5
        var refused = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(body).ToUrl("/api/jobs");
            s.StatusCodeShouldBe(402);
        });
        Assert.Contains($"${estimate:0.00} still expected from unfinished jobs", (await refused.Problem(402))["details"]!.GetValue<string>());
        Assert.Equal(1, (await platform.GetAsync(user, "/api/jobs"))["pagination"]!["total"]!.GetValue<long>());
    }

    [Fact]
    public async Task a_budget_can_be_read_changed_and_removed_and_bad_values_are_refused()
    {
        var user = await platform.CreateUserAsync();
        Assert.Equal("none", (await platform.GetAsync(user, "/api/budget"))["status"]!.GetValue<string>());

        var set = await (await SetAsync(user, new { monthly_limit = 250.00m, hard_limit = true })).Data();
        Assert.Equal(250.00m, set["monthly_limit"]!.GetValue<decimal>());
        Assert.True(set["hard_limit"]!.GetValue<bool>());
        Assert.Equal("ok", set["status"]!.GetValue<string>());

        var removed = await (await SetAsync(user, new { monthly_limit = (decimal?)null })).Data();
        Assert.Null(removed["monthly_limit"]?.GetValue<decimal?>());
        Assert.Equal("none", removed["status"]!.GetValue<string>());

        foreach (var bad in new object[] { new { monthly_limit = -5m }, new { monthly_limit = 0.001m }, new { monthly_limit = 5_000_000m } })
        {
            var result = await SetAsync(user, bad, 400);
            Assert.NotNull((await result.Problem(400))["details"]!["monthly_limit"]);
        }

        // a misspelt limit once removed the budget, and a hard limit without a limit was dropped: both are refused
        await SetAsync(user, new { monthly_limit = 100.00m });
        var misspelt = await platform.Host.Scenario(s =>
        {
            s.As(user).Put.Text("""{"monthlyLimit": 50.00}""").ToUrl("/api/budget"); // raw: Alba would snake_case an object's names
            s.ConfigureHttpContext(c => c.Request.ContentType = "application/json");
            s.StatusCodeShouldBe(400);
        });
        Assert.Equal("Unknown field 'monthlyLimit'; this request takes: monthly_limit, hard_limit.", (await misspelt.Problem(400))["details"]!.GetValue<string>());
        var hardWithoutLimit = await SetAsync(user, new { hard_limit = true }, 400);
        Assert.NotNull((await hardWithoutLimit.Problem(400))["details"]!["hard_limit"]);
        Assert.Equal(100.00m, (await platform.GetAsync(user, "/api/budget"))["monthly_limit"]!.GetValue<decimal>());
    }
}
