using System.Diagnostics;
using Alba;
using LoraPipeline.TestKit;

namespace LoraPipeline.Host.Tests;

/// <summary>
/// The production profile: unsafe settings refuse the start, and every answer carries the headers that keep the
/// dashboard and file links from being framed, sniffed or scripted from elsewhere; a request's body is read only
/// once its key is known.
/// </summary>
public sealed class when_the_platform_runs_in_production(PlatformHost platform) : IClassFixture<PlatformHost>
{
    [Theory]
    [InlineData("Simulated", "false", "GpuCluster:Mode is Simulated")]
    [InlineData("External", "true", "DemoAccount:Enabled is true")]
    public async Task it_refuses_to_start_with_the_simulator_on_its_port_or_the_demo_account(string mode, string demo, string named)
    {
        var (exit, errors) = await StartInProductionAsync(new Dictionary<string, string>
        {
            ["GpuCluster__Mode"] = mode,
            ["GpuCluster__BaseUrl"] = "https://gpus.example.com/",
            ["DemoAccount__Enabled"] = demo,
        });

        Assert.NotEqual(0, exit);
        Assert.Contains("Refusing to start in Production", errors);
        Assert.Contains(named, errors);
    }

    [Fact]
    public async Task it_refuses_webhooks_to_plain_http_or_private_addresses()
    {
        var (exit, errors) = await StartInProductionAsync(new Dictionary<string, string>
        {
            ["GpuCluster__Mode"] = "External",
            ["GpuCluster__BaseUrl"] = "https://gpus.example.com/",
            ["DemoAccount__Enabled"] = "false",
            ["Webhooks__AllowPrivateAddresses"] = "true",
        });

        Assert.NotEqual(0, exit);
        Assert.Contains("Refusing to start in Production", errors);
        Assert.Contains("Webhooks:AllowPrivateAddresses", errors);
        Assert.Contains("Production:AllowUnsafeWebhooks", errors);
    }

    [Fact]
    public async Task the_operator_may_allow_a_demo_deployment_explicitly()
    {
        var (exit, errors) = await StartInProductionAsync(new Dictionary<string, string>
        {
            ["Production__AllowSimulator"] = "true",
            ["Production__AllowDemoAccount"] = "true",
            ["DemoAccount__Enabled"] = "true",
        }, arguments: ["codegen", "test"]);

        Assert.DoesNotContain("Refusing to start", errors);
        Assert.True(exit == 0 || !errors.Contains("Refusing", StringComparison.Ordinal), errors);
    }

    [Theory]
    [InlineData("/", true)]
    [InlineData("/datasets", true)]
    [InlineData("/health/live", false)]
    public async Task the_dashboard_is_served_with_a_strict_content_security_policy_and_every_answer_with_nosniff(string url, bool dashboard)
    {
        var result = await platform.Host.Scenario(s =>
        {
            s.Get.Url(url);
            s.IgnoreStatusCode();
        });
        var headers = result.Context.Response.Headers;

        Assert.Equal("nosniff", headers.XContentTypeOptions.ToString());
        Assert.Equal("no-referrer", headers["Referrer-Policy"].ToString());
        if (dashboard)
        {
            var policy = headers.ContentSecurityPolicy.ToString();
            Assert.Contains("script-src 'self'", policy);
            Assert.Contains("frame-ancestors 'none'", policy);
            Assert.DoesNotContain("unsafe-eval", policy);
        }
    }

    [Fact]
    public async Task a_file_link_answer_runs_nothing()
    {
        var result = await platform.Host.Scenario(s =>
        {
            s.Get.Url("/files/lora-datasets/x/y/dataset.jsonl?expires=1&signature=forged");
            s.StatusCodeShouldBe(403);
        });

        Assert.Equal("default-src 'none'; sandbox; frame-ancestors 'none'", result.Context.Response.Headers.ContentSecurityPolicy.ToString());
    }

    [Fact]
    public async Task a_request_without_a_key_is_refused_before_its_body_is_read()
    {
        // a body the JSON check would refuse with a 400: without a key the answer is the 401, so it was never read
        var result = await platform.Host.Scenario(s =>
        {
            s.Post.Text("[1, 2, 3]").ToUrl("/api/jobs");
            s.WithRequestHeader("Content-Type", "application/json");
            s.StatusCodeShouldBe(401);
        });

        Assert.Equal(401, (await result.Problem(401))["status"]!.GetValue<int>());
    }

    private async Task<(int Exit, string Errors)> StartInProductionAsync(Dictionary<string, string> settings, string[]? arguments = null)
    {
        var hostDll = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(hostDll)!,
        };
        start.ArgumentList.Add(hostDll);
        foreach (var argument in arguments ?? ["--urls", "http://127.0.0.1:0"])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ConnectionStrings__Postgres"] = platform.ConnectionString;
        start.Environment["Database__Schema"] = platform.Schema;
        start.Environment["Storage__SigningKey"] = "production-test-signing-key-0123456789";
        start.Environment["Storage__Root"] = platform.BlobRoot;
        start.Environment["GpuCluster__ApiKey"] = "production-test-cluster-key";
        start.Environment["GpuCluster__CallbackSecret"] = "production-test-callback-secret";
        start.Environment["Wolverine__CodegenMode"] = "Dynamic";
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await errors + await output);
    }
}
