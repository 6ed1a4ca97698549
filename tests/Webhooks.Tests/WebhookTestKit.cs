using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;
using LoraPipeline.Training.Execution;
using Wolverine;
using Wolverine.Tracking;

namespace LoraPipeline.Webhooks.Tests;

/// <summary>The platform with a cluster on the test clock and a receiver on loopback, which these settings allow.</summary>
public class WebhookHost : ClusterHost
{
    public WebhookReceiver Receiver { get; private set; } = null!;

    protected override async Task BeforeStartAsync()
    {
        Receiver = await WebhookReceiver.StartAsync();
        await base.BeforeStartAsync();
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Webhooks:AllowInsecure"] = "true";
        settings["Webhooks:AllowPrivateAddresses"] = "true";
        settings["Webhooks:RetryDelays:0"] = "00:00:00.200";
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

internal static class WebhookTestKit
{
    public static async Task<(Guid Id, string Secret)> CreateWebhookAsync(this PlatformHost platform, TestUser user, string url, string[]? events = null)
    {
        var created = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { url, events, description = "CI" }).ToUrl("/api/webhooks");
            s.StatusCodeShouldBe(201);
        });
        var data = await created.Data();
        return (data["webhook"]!["id"]!.GetValue<Guid>(), data["secret"]!.GetValue<string>());
    }

    public static async Task<JsonNode> GetDataAsync(this PlatformHost platform, TestUser user, string url) =>
        await (await platform.Host.Scenario(s => s.As(user).Get.Url(url))).Data();

    public static async Task<JsonNode> PostDataAsync(this PlatformHost platform, TestUser user, string url, int status = 200) =>
        await (await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { }).ToUrl(url);
            s.StatusCodeShouldBe(status);
        })).Data();

    /// <summary>
    /// The log is written in the transaction after the receiver's answer, so a test that saw the answer waits for
    /// that commit: a condition checked until it holds (bounded), not a fixed sleep.
    /// </summary>
    public static async Task<JsonNode> EventuallyAsync(this PlatformHost platform, TestUser user, string url, Func<JsonNode, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var data = await platform.GetDataAsync(user, url);
            if (condition(data))
            {
                return data;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{url} never met the condition: {data.ToJsonString()}");
            await Task.Delay(50);
        }
    }

    /// <summary>The job events among what a receiver got, in the order they arrived.</summary>
    public static List<ReceivedWebhook> OfJob(this IReadOnlyList<ReceivedWebhook> received, Guid job) =>
        received.Where(r => r.Type.StartsWith("job.", StringComparison.Ordinal) && r.Json["data"]!["id"]!.GetValue<Guid>() == job).ToList();

    /// <summary>Queues a two-epoch job on one A100 and waits for its submission to the cluster.</summary>
    public static async Task<Guid> StartJobAsync(this PlatformHost platform, TestUser user, Guid datasetId)
    {
        IScenarioResult? created = null;
        await platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(60)).ExecuteAndWaitAsync((Func<IMessageContext, Task>)(async _ =>
            created = await platform.Host.Scenario(s =>
            {
                s.As(user).Post.Json(new { dataset_id = datasetId, preset_id = "fast", gpu_config = new { type = "A100-80GB", count = 1 }, hyperparameters = new { epochs = 2, batch_size = 4 } })
                    .ToUrl("/api/jobs");
                s.StatusCodeShouldBe(201);
            })));
        return (await created!.Data())["id"]!.GetValue<Guid>();
    }

    /// <summary>Runs poll <paramref name="pollNumber"/> of a job now (these tests schedule no polls of their own).</summary>
    public static Task PollAsync(this PlatformHost platform, TestUser user, Guid job, int pollNumber) =>
        platform.Host.TrackActivity().Timeout(TimeSpan.FromSeconds(120))
            .ExecuteAndWaitAsync((Func<IMessageContext, Task>)(c => c.InvokeForTenantAsync(user.Tenant, new PollTrainingJob(job, pollNumber))));
}
