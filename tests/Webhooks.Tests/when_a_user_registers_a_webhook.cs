using Alba;
using LoraPipeline.TestKit;
using LoraPipeline.Webhooks.Registration;
using Marten;

namespace LoraPipeline.Webhooks.Tests;

/// <summary>The endpoints with the production defaults: https only, public addresses only.</summary>
public sealed class when_a_user_registers_a_webhook(PlatformHost platform) : IClassFixture<PlatformHost>
{
    [Fact]
    public async Task the_secret_is_shown_once_and_stored_only_encrypted()
    {
        var user = await platform.CreateUserAsync();
        var (id, secret) = await platform.CreateWebhookAsync(user, "https://ci.example.com/hooks/lora", ["job.succeeded", "job.failed"]);

        Assert.StartsWith("whsec_", secret);
        Assert.Equal(32, Convert.FromBase64String(secret[6..]).Length);

        var shown = await (await platform.Host.Scenario(s => s.As(user).Get.Url($"/api/webhooks/{id}"))).ReadAsTextAsync();
        Assert.DoesNotContain(secret[6..], shown);
        Assert.Contains("\"events\":[\"job.succeeded\",\"job.failed\"]", shown);
        var listed = await (await platform.Host.Scenario(s => s.As(user).Get.Url("/api/webhooks"))).ReadAsTextAsync();
        Assert.DoesNotContain(secret[6..], listed);

        await using var session = platform.Store.QuerySession(user.Tenant);
        var stored = await session.LoadAsync<Webhook>(id);
        Assert.NotNull(stored);
        Assert.DoesNotContain(secret[6..], stored.Secrets.Single().Encrypted);
        var raw = await session.Query<Webhook>().Where(w => w.Id == id).ToJsonArray();
        Assert.DoesNotContain(secret[6..], raw);
    }

    [Theory]
    [InlineData("http://ci.example.com/hook", "https://")]
    [InlineData("https://127.0.0.1/hook", "non-public")]
    [InlineData("https://10.1.2.3/hook", "non-public")]
    [InlineData("https://169.254.169.254/latest/meta-data", "non-public")]
    [InlineData("https://[::1]/hook", "non-public")]
    [InlineData("https://[fd00:ec2::254]/hook", "non-public")]
    [InlineData("https://localhost/hook", "this machine")]
    [InlineData("https://user:pass@ci.example.com/hook", "user name")]
    [InlineData("ftp://ci.example.com/hook", "absolute https://")]
    [InlineData("not a url", "absolute https://")]
    public async Task an_unsafe_url_is_refused_and_nothing_is_stored(string url, string reason)
    {
        var user = await platform.CreateUserAsync();
        var refused = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { url }).ToUrl("/api/webhooks");
            s.StatusCodeShouldBe(400);
        });

        var problem = await refused.Problem(400);
        Assert.Contains(reason, problem["details"]!["url"]![0]!.GetValue<string>());
        Assert.Empty((await platform.GetDataAsync(user, "/api/webhooks")).AsArray());
    }

    [Fact]
    public async Task an_unknown_event_type_or_field_is_refused_by_name()
    {
        var user = await platform.CreateUserAsync();
        var unknownType = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { url = "https://ci.example.com/h", events = new[] { "job.succeeded", "job.exploded" } }).ToUrl("/api/webhooks");
            s.StatusCodeShouldBe(400);
        });
        var problem = await unknownType.Problem(400);
        Assert.Contains("'job.exploded' is not an event type", problem["details"]!["events"]![0]!.GetValue<string>());

        var misspelt = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { url = "https://ci.example.com/h", event_types = new[] { "job.failed" } }).ToUrl("/api/webhooks");
            s.StatusCodeShouldBe(400);
        });
        await misspelt.Problem(400);

        var empty = await platform.Host.Scenario(s =>
        {
            s.As(user).Post.Json(new { url = "https://ci.example.com/h", events = Array.Empty<string>() }).ToUrl("/api/webhooks");
            s.StatusCodeShouldBe(400);
        });
        await empty.Problem(400);
        Assert.Empty((await platform.GetDataAsync(user, "/api/webhooks")).AsArray());
    }

    [Fact]
    public async Task an_edit_changes_only_what_it_names_and_a_delete_removes_it()
    {
        var user = await platform.CreateUserAsync();
        var (id, _) = await platform.CreateWebhookAsync(user, "https://ci.example.com/a");

        var edited = await (await platform.Host.Scenario(s =>
            s.As(user).Patch.Json(new { events = new[] { "model.ready" }, description = "deploys" }).ToUrl($"/api/webhooks/{id}"))).Data();
        Assert.Equal("https://ci.example.com/a", edited["url"]!.GetValue<string>());
        Assert.Equal("model.ready", edited["events"]![0]!.GetValue<string>());
        Assert.Equal("deploys", edited["description"]!.GetValue<string>());

        var badEdit = await platform.Host.Scenario(s =>
        {
            s.As(user).Patch.Json(new { url = "http://ci.example.com/b" }).ToUrl($"/api/webhooks/{id}");
            s.StatusCodeShouldBe(400);
        });
        await badEdit.Problem(400);
        Assert.Equal("https://ci.example.com/a", (await platform.GetDataAsync(user, $"/api/webhooks/{id}"))["url"]!.GetValue<string>());

        var disabled = await (await platform.Host.Scenario(s => s.As(user).Patch.Json(new { enabled = false }).ToUrl($"/api/webhooks/{id}"))).Data();
        Assert.False(disabled["enabled"]!.GetValue<bool>());

        await platform.Host.Scenario(s =>
        {
            s.As(user).Delete.Url($"/api/webhooks/{id}");
            s.StatusCodeShouldBe(204);
        });
        await platform.Host.Scenario(s =>
        {
            s.As(user).Get.Url($"/api/webhooks/{id}");
            s.StatusCodeShouldBe(404);
        });
    }

    [Fact]
    public async Task another_users_webhook_answers_404_like_a_missing_one()
    {
        var owner = await platform.CreateUserAsync();
        var stranger = await platform.CreateUserAsync();
        var (id, _) = await platform.CreateWebhookAsync(owner, "https://ci.example.com/owner");
        var missing = Guid.NewGuid();

        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/webhooks/{id}", $"/api/webhooks/{missing}");
        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/webhooks/{id}", $"/api/webhooks/{missing}", HttpMethod.Patch);
        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/webhooks/{id}", $"/api/webhooks/{missing}", HttpMethod.Delete);
        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/webhooks/{id}/rotate-secret", $"/api/webhooks/{missing}/rotate-secret", HttpMethod.Post);
        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/webhooks/{id}/test", $"/api/webhooks/{missing}/test", HttpMethod.Post);
        await Isolation.AssertHiddenFromStranger(platform, stranger, $"/api/webhooks/{id}/deliveries", $"/api/webhooks/{missing}/deliveries");
        Assert.Empty((await platform.GetDataAsync(stranger, "/api/webhooks")).AsArray());

        // and the owner's webhook is untouched by the stranger's attempts
        Assert.Equal("https://ci.example.com/owner", (await platform.GetDataAsync(owner, $"/api/webhooks/{id}"))["url"]!.GetValue<string>());
    }

    [Fact]
    public async Task without_a_key_every_webhook_endpoint_answers_401()
    {
        var result = await platform.Host.Scenario(s =>
        {
            s.Get.Url("/api/webhooks");
            s.StatusCodeShouldBe(401);
        });
        await result.Problem(401);
    }
}
