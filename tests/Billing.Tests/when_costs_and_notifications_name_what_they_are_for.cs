using LoraPipeline.Billing.Costs;
using LoraPipeline.Billing.Notifications;
using LoraPipeline.Artifacts.Contracts;
using LoraPipeline.TestKit;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Billing.Tests;

/// <summary>
/// A cost record or a notification says which job or model it is about (dashboard issue, item 17): a job by the
/// name the jobs API shows for it (its dataset's), a model by its own name; the storage line says it is one-off.
/// </summary>
public sealed class when_costs_and_notifications_name_what_they_are_for(ClusterHost platform) : IClassFixture<ClusterHost>
{
    [Fact]
    public async Task the_compute_and_storage_records_and_each_notification_of_a_job_carry_its_name()
    {
        var user = await platform.CreateUserAsync();
        var dataset = (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(40), name: "Refund replies"))["id"]!.GetValue<Guid>();
        var job = await platform.StartJobAsync(user, dataset);
        platform.Clock.Advance(TimeSpan.FromHours(3));
        await platform.PollAsync(user, job, 1);
        await platform.ProjectionsCaughtUpAsync();

        var jobView = await platform.JobAsync(user, job);
        Assert.Equal("completed", jobView["status"]!.GetValue<string>());
        Assert.Equal("Refund replies", jobView["dataset"]!["name"]!.GetValue<string>());
        var model = await platform.GetAsync(user, $"/api/models/{jobView["artifact_id"]}");
        var modelName = model["name"]!.GetValue<string>();

        var records = (await platform.GetAsync(user, "/api/costs?limit=100"))["records"]!.AsArray();
        var compute = records.Single(r => r!["cost_type"]!.GetValue<string>() == CostTypes.TrainingCompute)!;
        var storage = records.Single(r => r!["cost_type"]!.GetValue<string>() == CostTypes.Storage)!;
        Assert.Equal("Refund replies", compute["name"]!.GetValue<string>());
        Assert.Equal(modelName, storage["name"]!.GetValue<string>());
        Assert.StartsWith("Refund replies - ", modelName);
        Assert.True(storage["details"]!["one_off"]!.GetValue<bool>());

        var titles = (await platform.GetAsync(user, "/api/notifications?limit=100"))["notifications"]!.AsArray()
            .ToDictionary(n => n!["type"]!.GetValue<string>(), n => (Title: n!["title"]!.GetValue<string>(), Message: n["message"]!.GetValue<string>()));
        Assert.Equal("Training Job Queued: Refund replies", titles["job_queued"].Title);
        Assert.Equal("Training Started: Refund replies", titles["job_started"].Title);
        Assert.Equal("Training Complete: Refund replies", titles["job_completed"].Title);
        Assert.StartsWith("Your training job on \"Refund replies\" finished successfully. Cost: $", titles["job_completed"].Message);
        Assert.Equal($"Model Ready for Download: {modelName}", titles["artifact_ready"].Title);
        Assert.Equal("Dataset Ready: Refund replies", titles["dataset_ready"].Title);

        // the daily chart's day splits into the same two types
        var day = (await platform.GetAsync(user, "/api/costs?limit=100"))["chart_data"]!.AsArray().Single()!;
        Assert.Equal(compute["amount"]!.GetValue<decimal>(), day["by_type"]![CostTypes.TrainingCompute]!.GetValue<decimal>());
        Assert.Equal(0.50m, day["by_type"]![CostTypes.Storage]!.GetValue<decimal>());
    }

    [Fact]
    public void without_a_known_name_the_words_stay_as_before_and_a_model_is_named_from_its_event()
    {
        var at = new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
        var jobId = Guid.NewGuid();
        var completed = new TrainingJobCompleted(jobId, at, 2.00m, new GpuUsage("A100-80GB", 1, 2.00m, at.AddHours(-1), at));

        Assert.Equal("Training Complete", NotificationRules.For(Guid.NewGuid(), completed, at)!.Title);
        Assert.Equal("Training Complete: Support chats", NotificationRules.For(Guid.NewGuid(), completed, at, "Support chats")!.Title);
        var stored = new ArtifactReady(Guid.NewGuid(), jobId, Guid.NewGuid(), "Support chats - 2026-12-03", 4, 1000, false, at);
        Assert.Equal("Support chats - 2026-12-03", CostRules.From(stored)!.Name);
        Assert.Equal("Model Ready for Download: Support chats - 2026-12-03", NotificationRules.For(Guid.NewGuid(), stored, at)!.Title);
    }
}
