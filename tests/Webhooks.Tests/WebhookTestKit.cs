using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;

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
}
