using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;
using LoraPipeline.Training.Execution;
using Marten.Events;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Billing.Tests;

internal static class BillingTestKit
{
    public static async Task<Guid> ReadyDatasetAsync(this ClusterHost platform, TestUser user) =>
        (await platform.UploadAndValidateAsync(user, DatasetUploads.CleanJsonl(40)))["id"]!.GetValue<Guid>();

    public static async Task<Guid> StartJobAsync(this ClusterHost platform, TestUser user, Guid datasetId, string gpu = "A100-80GB", int count = 1)
    {
        IScenarioResult? created = null;
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
            created = await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Json(new { dataset_id = datasetId, preset_id = "fast", gpu_config = new { type = gpu, count }, hyperparameters = new { epochs = 2, batch_size = 4 } })
                    .ToUrl("/api/jobs");
                s.StatusCodeShouldBe(201);
            })));
        return (await created!.Data())["id"]!.GetValue<Guid>();
    }

    /// <summary>Polls once (and waits for what the poll starts: artifact collection).</summary>
    public static Task PollAsync(this ClusterHost platform, TestUser user, Guid jobId, int pollNumber) =>
        platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(120))
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(c => c.InvokeForTenantAsync(user.Tenant, new PollTrainingJob(jobId, pollNumber))));

    public static async Task<JsonNode> JobAsync(this ClusterHost platform, TestUser user, Guid jobId) =>
        (await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/jobs/{jobId}"))).Data())["job"]!;

    /// <summary>Waits until the async projections (cost records, roll-up, inbox) have caught up.</summary>
    public static Task ProjectionsCaughtUpAsync(this ClusterHost platform) =>
        platform.Store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromSeconds(60));

    public static async Task<JsonNode> GetAsync(this ClusterHost platform, TestUser user, string url) =>
        await (await platform.Host.Scenario(s => s.As(user).Get.Url(url))).Data();
}
