using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;

namespace LoraPipeline.Host.Tests;

public sealed class when_a_new_user_meets_the_platform(PlatformHost platform) : IClassFixture<PlatformHost>
{
    [Fact]
    public async Task health_says_live_and_ready_without_a_key()
    {
        var live = await platform.Host.Scenario(s => s.Get.Url("/health/live"));
        Assert.Equal("healthy", (await live.Json())["status"]!.GetValue<string>());

        var ready = await platform.Host.Scenario(s => s.Get.Url("/health/ready"));
        var json = await ready.Json();
        Assert.Equal("healthy", json["status"]!.GetValue<string>());
        Assert.Equal("healthy", json["checks"]!["postgres"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_openapi_document_lists_the_api_and_its_key_scheme_without_a_key()
    {
        var result = await platform.Host.Scenario(s => s.Get.Url("/openapi/v1.json"));
        var document = await result.Json();
        Assert.NotNull(document["paths"]!["/api/me"]);
        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["ApiKey"]!["scheme"]!.GetValue<string>());
    }

    [Fact]
    public async Task the_reference_page_is_served_without_a_key()
    {
        var result = await platform.Host.Scenario(s => s.Get.Url("/scalar/"));
        Assert.Contains("<html", await result.ReadAsTextAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task me_without_a_key_is_a_401_problem_that_says_what_to_send()
    {
        var result = await platform.Host.Scenario(s =>
        {
            s.Get.Url("/api/me");
            s.StatusCodeShouldBe(401);
        });
        var problem = await result.Problem(401);
        Assert.Contains("Authorization: Bearer", problem["details"]!.GetValue<string>());
        Assert.Equal("Bearer", result.Context.Response.Headers.WWWAuthenticate.ToString());
    }

    [Theory]
    [InlineData("Bearer nonsense")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer lp_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task me_with_a_wrong_key_is_a_401_problem(string header)
    {
        var result = await platform.Host.Scenario(s =>
        {
            s.Get.Url("/api/me");
            s.WithRequestHeader("Authorization", header);
            s.StatusCodeShouldBe(401);
        });
        await result.Problem(401);
    }

    [Fact]
    public async Task me_with_a_key_answers_its_user_in_the_success_envelope()
    {
        var alice = await platform.CreateUserAsync("alice-" + Guid.NewGuid().ToString("N")[..6]);
        var result = await platform.Host.Scenario(s => s.As(alice).Get.Url("/api/me"));
        var data = await result.Data();
        Assert.Equal(alice.Id, data["id"]!.GetValue<Guid>());
        Assert.Equal(alice.Name, data["name"]!.GetValue<string>());
        Assert.Equal(alice.KeyId, data["api_key_id"]!.GetValue<Guid>());
    }

    [Fact]
    public async Task a_key_with_one_character_changed_is_refused()
    {
        var bob = await platform.CreateUserAsync();
        var last = bob.ApiKey[^1];
        var altered = bob.ApiKey[..^1] + (last == 'A' ? 'B' : 'A');
        await platform.Host.Scenario(s =>
        {
            s.WithRequestHeader("Authorization", $"Bearer {altered}");
            s.Get.Url("/api/me");
            s.StatusCodeShouldBe(401);
        });
    }

    [Fact]
    public async Task a_revoked_key_stops_working_and_another_key_of_the_user_keeps_working()
    {
        var carol = await platform.CreateUserAsync();
        await using (var session = platform.Store.LightweightSession())
        {
            var user = await LoraPipeline.Platform.Identity.Accounts.FindUserAsync(session, carol.Name);
            var second = await LoraPipeline.Platform.Identity.Accounts.CreateKeyAsync(session, user!, TimeProvider.System);
            Assert.True(await LoraPipeline.Platform.Identity.Accounts.RevokeKeyAsync(session, carol.KeyId, TimeProvider.System));

            await platform.Host.Scenario(s =>
            {
                s.As(carol).Get.Url("/api/me");
                s.StatusCodeShouldBe(401);
            });
            await platform.Host.Scenario(s =>
            {
                s.WithRequestHeader("Authorization", $"Bearer {second.Secret}");
                s.Get.Url("/api/me");
                s.StatusCodeShouldBe(200);
            });
        }
    }

    [Fact]
    public async Task unknown_routes_are_problem_documents_too()
    {
        var dave = await platform.CreateUserAsync();
        var result = await platform.Host.Scenario(s =>
        {
            s.As(dave).Get.Url("/api/does-not-exist");
            s.StatusCodeShouldBe(404);
        });
        await result.Problem(404);
    }

    [Fact]
    public async Task success_bodies_use_snake_case_with_success_first()
    {
        var erin = await platform.CreateUserAsync();
        var result = await platform.Host.Scenario(s => s.As(erin).Get.Url("/api/me"));
        var text = await result.ReadAsTextAsync();
        Assert.StartsWith("{\"success\":true,\"data\":", text);
        Assert.Contains("\"created_at\"", text);
        Assert.IsType<JsonObject>(JsonNode.Parse(text));
    }
}
