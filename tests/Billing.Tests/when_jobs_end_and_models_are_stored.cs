using System.Text.Json.Nodes;
using Alba;
using JasperFx.Events.Daemon;
using LoraPipeline.Billing.Costs;
using LoraPipeline.Billing.Notifications;
using LoraPipeline.TestKit;

namespace LoraPipeline.Billing.Tests;

/// <summary>Half the jobs fail mid-way (deterministically by job id), so completed and failed jobs come from one cluster.</summary>
public sealed class HalfFailingClusterHost : ClusterHost
{
    protected override void ConfigureSimulator(IDictionary<string, string?> settings) => settings["Simulator:Faults:JobFailureRate"] = "0.5";
}

public sealed class when_jobs_end_and_models_are_stored(HalfFailingClusterHost platform) : IClassFixture<HalfFailingClusterHost>
{
    [Fact]
    public async Task costs_add_up_to_the_cent_by_type_and_by_day_with_one_record_per_job_and_type_and_one_notification_per_step()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.ReadyDatasetAsync(user);

        // one completed and one failed job, then one cancelled after some GPU time
        Guid? completed = null, failed = null;
        for (var i = 0; i < 20 && (completed is null || failed is null); i++)
        {
            var job = await platform.StartJobAsync(user, dataset, gpu: "A100-40GB", count: 2);
            platform.Clock.Advance(TimeSpan.FromHours(3));
            await platform.PollAsync(user, job, 1);
            var status = (await platform.JobAsync(user, job))["status"]!.GetValue<string>();
            if (status == "completed" && completed is null)
            {
                completed = job;
            }
            else if (status == "failed" && failed is null)
            {
                failed = job;
            }
        }

        Assert.NotNull(completed);
        Assert.NotNull(failed);
        var cancelled = await platform.StartJobAsync(user, dataset, gpu: "H100", count: 1);
        platform.Clock.Advance(TimeSpan.FromMinutes(45));
        await platform.Host.Scenario(s => s.As(user).Post.Url($"/api/jobs/{cancelled}/cancel"));
        await platform.ProjectionsCaughtUpAsync();

        var jobs = (await platform.GetAsync(user, "/api/jobs?limit=100"))["jobs"]!.AsArray();
        var billedJobs = jobs.Where(j => j!["started_at"] is not null).ToList();
        var expectedCompute = billedJobs.Sum(j => j!["final_cost"]!.GetValue<decimal>());
        var models = (await platform.GetAsync(user, "/api/models?limit=100"))["pagination"]!["total"]!.GetValue<long>();

        var costs = await platform.GetAsync(user, "/api/costs?period=month&limit=100");
        Assert.Equal(expectedCompute, costs["cost_by_type"]!["training_compute"]!.GetValue<decimal>());
        Assert.Equal(models * 0.50m, costs["cost_by_type"]!["storage"]!.GetValue<decimal>());
        Assert.Equal(expectedCompute + models * 0.50m, costs["total_cost"]!.GetValue<decimal>());
        Assert.Equal(costs["total_cost"]!.GetValue<decimal>(), costs["chart_data"]!.AsArray().Sum(d => d!["amount"]!.GetValue<decimal>()));

        var records = costs["records"]!.AsArray();
        Assert.Equal(billedJobs.Count + models, records.Count);
        Assert.Equal(records.Count, records.Select(r => (r!["job_id"]!.GetValue<Guid>(), r["cost_type"]!.GetValue<string>())).Distinct().Count());
        var cancelledRecord = records.Single(r => r!["job_id"]!.GetValue<Guid>() == cancelled)!;
        Assert.Equal(Math.Round(4.20m * 0.75m, 2), cancelledRecord["amount"]!.GetValue<decimal>());
        Assert.Equal("H100", cancelledRecord["details"]!["gpu_type"]!.GetValue<string>());
        Assert.Equal(0.75m, cancelledRecord["details"]!["duration_hours"]!.GetValue<decimal>());
        Assert.Equal(DateOnly.FromDateTime(platform.Clock.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd"), cancelledRecord["billing_period"]!.GetValue<string>());

        var jobDetail = await platform.GetAsync(user, $"/api/jobs/{completed}");
        Assert.Equal(2, jobDetail["cost_records"]!.AsArray().Count); // compute and the model's storage

        var inbox = await platform.GetAsync(user, "/api/notifications?limit=100");
        var types = inbox["notifications"]!.AsArray().Select(n => (Type: n!["type"]!.GetValue<string>(), Job: n["metadata"]!["job_id"]?.GetValue<Guid?>())).ToList();
        foreach (var step in new[] { "job_queued", "job_started", "job_completed" })
        {
            Assert.Single(types, t => t.Type == step && t.Job == completed);
        }

        Assert.Single(types, t => t.Type == "artifact_ready" && t.Job == completed);
        Assert.Single(types, t => t.Type == "job_failed" && t.Job == failed);
        Assert.Single(types, t => t.Type == "job_cancelled" && t.Job == cancelled);
        Assert.Single(types, t => t.Type == "dataset_ready");
        var done = inbox["notifications"]!.AsArray().Single(n => n!["type"]!.GetValue<string>() == "job_completed" && n["metadata"]!["job_id"]!.GetValue<Guid>() == completed)!;
        Assert.Equal("Training Complete: Support chats", done["title"]!.GetValue<string>()); // named after the job's dataset
        Assert.Equal("high", done["priority"]!.GetValue<string>());
        Assert.Equal($"/training/jobs/{completed}", done["action_url"]!.GetValue<string>());
        Assert.Contains($"Cost: ${(await platform.JobAsync(user, completed!.Value))["final_cost"]!.GetValue<decimal>():0.00}", done["message"]!.GetValue<string>());

        // every action link leads to something the caller can open
        foreach (var url in inbox["notifications"]!.AsArray().Select(n => n!["action_url"]!.GetValue<string>()).Distinct())
        {
            var api = url.StartsWith("/training/jobs/", StringComparison.Ordinal) ? url.Replace("/training/jobs/", "/api/jobs/", StringComparison.Ordinal) : "/api" + url;
            await platform.Host.Scenario(s => s.As(user).Get.Url(api));
        }
    }

    [Fact]
    public async Task rebuilding_the_projections_gives_the_same_records_roll_up_and_inbox_read_marks_included()
    {
        var user = await platform.CreateUserAsync();
        var dataset = await platform.ReadyDatasetAsync(user);
        var job = await platform.StartJobAsync(user, dataset);
        platform.Clock.Advance(TimeSpan.FromHours(3));
        await platform.PollAsync(user, job, 1);
        await platform.ProjectionsCaughtUpAsync();

        var first = (await platform.GetAsync(user, "/api/notifications"))["notifications"]![0]!["id"]!.GetValue<Guid>();
        await platform.Host.Scenario(s => s.As(user).Patch.Url($"/api/notifications/{first}/read"));
        await platform.ProjectionsCaughtUpAsync();

        var costsBefore = (await platform.GetAsync(user, "/api/costs?limit=100")).ToJsonString();
        var inboxBefore = (await platform.GetAsync(user, "/api/notifications?limit=100")).ToJsonString();

        using (var daemon = await platform.Store.BuildProjectionDaemonAsync())
        {
            await daemon.RebuildProjectionAsync<CostRecordsProjection>(CancellationToken.None);
            await daemon.RebuildProjectionAsync<DailyCostProjection>(CancellationToken.None);
            await daemon.RebuildProjectionAsync<NotificationInboxProjection>(CancellationToken.None);
        }

        Assert.Equal(costsBefore, (await platform.GetAsync(user, "/api/costs?limit=100")).ToJsonString());
        Assert.Equal(inboxBefore, (await platform.GetAsync(user, "/api/notifications?limit=100")).ToJsonString());
    }
}
