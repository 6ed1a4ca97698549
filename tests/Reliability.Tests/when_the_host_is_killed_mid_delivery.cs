using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LoraPipeline.TestKit;
using LoraPipeline.TestKit.Processes;

namespace LoraPipeline.Reliability.Tests;

/// <summary>
/// A webhook delivery is a durable message: a Host killed while the receiver holds the request delivers it after
/// the restart, with the same webhook-id (so a receiver that did get the first one can drop the second).
/// </summary>
[Collection(HostProcesses.Name)]
public sealed class when_the_host_is_killed_mid_delivery
{
    [Fact]
    public async Task the_delivery_arrives_after_the_restart_with_the_same_webhook_id()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Holds["held"] = hold;
        await using var host = await HostProcess.StartAsync(await TestDatabase.ConnectionStringAsync(), new Dictionary<string, string>
        {
            ["Webhooks:AllowInsecure"] = "true",
            ["Webhooks:AllowPrivateAddresses"] = "true",
            ["Webhooks:RequestTimeout"] = "00:00:05",
            ["Webhooks:RetryDelays:0"] = "00:00:01",
        });
        var key = await host.CreateUserAsync("hooked");
        using var api = host.ClientFor(key);

        var created = await api.PostAsJsonAsync("/api/webhooks", new { url = receiver.UrlFor("held") });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var webhook = (await created.Content.ReadFromJsonAsync<JsonNode>())!["data"]!["webhook"]!["id"]!.GetValue<Guid>();
        var test = await api.PostAsync($"/api/webhooks/{webhook}/test", JsonContent.Create(new { }));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, test.StatusCode);
        var messageId = (await test.Content.ReadFromJsonAsync<JsonNode>())!["data"]!["webhook_message_id"]!.GetValue<string>();

        // the request is in flight at the receiver when the Host dies
        await receiver.WaitForArrivalsAsync(a => a.Any(x => x.Path == "held"), TimeSpan.FromSeconds(60));
        await host.KillAsync();
        receiver.Holds.TryRemove("held", out _);
        hold.SetResult();

        await host.RestartAsync();
        var received = await receiver.WaitForAsync("held", r => r.Any(x => x.AnsweredWith == 200), TimeSpan.FromSeconds(90));

        Assert.All(receiver.Arrivals.Where(a => a.Path == "held"), a => Assert.Equal(messageId, a.Id));
        Assert.True(receiver.Arrivals.Count(a => a.Path == "held") >= 2, "sent before the kill and again after the restart");
        Assert.Equal(messageId, received.Single().Id);

        await HostProcess.UntilAsync(async () =>
        {
            var log = await api.GetFromJsonAsync<JsonNode>($"/api/webhooks/{webhook}/deliveries");
            return log!["data"]!["deliveries"]![0]!["status"]!.GetValue<string>() == "succeeded";
        }, TimeSpan.FromSeconds(30), "the delivery log shows the delivery succeeded");
    }
}
