using LoraPipeline.TestKit;
using LoraPipeline.Webhooks.Delivery;
using LoraPipeline.Webhooks.Safety;
using Microsoft.Extensions.Options;

namespace LoraPipeline.Webhooks.Tests;

/// <summary>
/// The refusals at delivery time: the address check runs in the connection's connect callback on the address the
/// name resolved to (so a name that passed at registration and now resolves to a private address, DNS rebinding,
/// is refused), redirects are not followed, answers are read only up to the cap.
/// </summary>
public sealed class when_a_destination_is_unsafe(WebhookHost platform) : IClassFixture<WebhookHost>
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task the_connection_to_a_non_public_address_is_refused_at_connect_time(string host)
    {
        var port = new Uri(platform.Receiver.BaseUrl).Port;
        using var client = new HttpClient(WebhookSender.CreateHandler(Options.Create(new WebhookOptions { AllowInsecure = true })));

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.PostAsync($"http://{host}:{port}/never", new StringContent("{}")));

        Assert.IsType<RefusedDestinationException>(refused.InnerException);
        Assert.Contains("non-public address (127.0.0.1", refused.InnerException!.Message);
        Assert.Empty(platform.Receiver.On("never"));
    }

    [Fact]
    public async Task a_name_resolving_to_this_machine_passes_registration_rules_but_not_delivery()
    {
        // this machine's own name: not a literal address and not "localhost", so only the resolved address tells
        var name = System.Net.Dns.GetHostName();
        var addresses = await System.Net.Dns.GetHostAddressesAsync(name);
        if (!addresses.All(DestinationRules.IsNonPublic))
        {
            return; // a machine whose own name resolves to a public address cannot stage this (Debian and containers map it to 127.x)
        }

        var options = new WebhookOptions { AllowInsecure = true };
        var url = $"http://{name}:{new Uri(platform.Receiver.BaseUrl).Port}/rebound";
        Assert.Null(DestinationRules.RefuseUrl(url, options));

        var sender = new WebhookSender(new OneClient(WebhookSender.CreateHandler(Options.Create(options))), Options.Create(options), TimeProvider.System);
        var result = await sender.SendAsync(url, "msg_test", "{}", ["whsec_" + Convert.ToBase64String(new byte[32])], CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Contains("resolves to a non-public address", result.Error);
        Assert.Empty(platform.Receiver.On("rebound"));
    }

    [Theory]
    [InlineData("100.64.0.1", true)]
    [InlineData("172.16.5.4", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fd00:ec2::254", true)]
    [InlineData("93.184.215.14", false)]
    [InlineData("2606:2800:21f:cb07:6820:80da:af6b:8b2c", false)]
    public void address_ranges_are_judged(string address, bool nonPublic) =>
        Assert.Equal(nonPublic, DestinationRules.IsNonPublic(System.Net.IPAddress.Parse(address)));

    [Fact]
    public async Task a_redirect_is_not_followed_and_a_huge_answer_is_cut()
    {
        var user = await platform.CreateUserAsync();
        var (redirecting, _) = await platform.CreateWebhookAsync(user, platform.Receiver.UrlFor("redirect"));
        var (big, _) = await platform.CreateWebhookAsync(user, platform.Receiver.UrlFor("big"));

        await platform.PostDataAsync(user, $"/api/webhooks/{redirecting}/test", 202);
        await platform.PostDataAsync(user, $"/api/webhooks/{big}/test", 202);

        var redirected = await EventuallyAsync(user, redirecting, d => d["attempts"]!.GetValue<int>() >= 1);
        Assert.Equal(307, redirected["response_code"]!.GetValue<int>());
        Assert.Contains("redirects are not followed", redirected["error"]!.GetValue<string>());
        Assert.Equal("pending", redirected["status"]!.GetValue<string>()); // retried later, never at the other URL
        Assert.Empty(platform.Receiver.On("target"));

        var cut = await EventuallyAsync(user, big, d => d["status"]!.GetValue<string>() == "succeeded");
        Assert.Equal(1024, cut["response_excerpt"]!.GetValue<string>().Length);
    }

    private async Task<System.Text.Json.Nodes.JsonNode> EventuallyAsync(TestUser user, Guid webhook, Func<System.Text.Json.Nodes.JsonNode, bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var deliveries = (await platform.GetDataAsync(user, $"/api/webhooks/{webhook}/deliveries"))["deliveries"]!.AsArray();
            if (deliveries.Count > 0 && condition(deliveries[0]!))
            {
                return deliveries[0]!;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the delivery never met the condition: {deliveries.ToJsonString()}");
            await Task.Delay(50);
        }
    }

    private sealed class OneClient(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }
}
