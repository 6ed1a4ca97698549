using System.Text.RegularExpressions;
using Alba;
using LoraPipeline.TestKit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace LoraPipeline.Host.Tests;

/// <summary>
/// Every endpoint but health, docs and signed file links answers 401 without a key. The rule is
/// checked against the live route table, so an endpoint a module adds later is covered too.
/// </summary>
public sealed partial class when_anyone_calls_without_a_key(PlatformHost platform) : IClassFixture<PlatformHost>
{
    // files and archives (a model as one .zip): the signed link is the credential; gpu-callbacks: the HMAC signature is; gpu-sim: the
    // simulated cluster checks its own bearer key
    private static readonly string[] AnonymousByDesign =
    [
        "/health/live", "/health/ready", "/openapi/", "/scalar", "/docs", "/files/", "/archives/", "/gpu-sim/", "/api/gpu-callbacks/", "/api/dev/demo-key", "/{*path",
    ];

    private IReadOnlyList<RouteEndpoint> Endpoints() =>
        platform.Services.GetServices<EndpointDataSource>()
            .SelectMany(d => d.Endpoints)
            .OfType<RouteEndpoint>()
            .ToList();

    [Fact]
    public void only_health_docs_signed_links_and_signed_callbacks_are_anonymous()
    {
        var anonymous = Endpoints()
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null || e.Metadata.GetMetadata<IAuthorizeData>() is null)
            .Select(e => "/" + e.RoutePattern.RawText?.TrimStart('/'))
            .Where(route => !AnonymousByDesign.Any(route.StartsWith))
            .ToList();

        Assert.True(anonymous.Count == 0, "endpoints reachable without a key: " + string.Join(", ", anonymous));
    }

    [Fact]
    public async Task every_protected_endpoint_answers_401_with_a_problem_document()
    {
        var protectedEndpoints = Endpoints()
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null && e.Metadata.GetMetadata<IAuthorizeData>() is not null)
            .ToList();
        Assert.NotEmpty(protectedEndpoints);

        foreach (var endpoint in protectedEndpoints)
        {
            var url = RouteParameter().Replace("/" + endpoint.RoutePattern.RawText!.TrimStart('/'), Guid.NewGuid().ToString());
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods)
            {
                var result = await platform.Host.Scenario(s =>
                {
                    s.ConfigureHttpContext(c =>
                    {
                        c.Request.Method = method;
                        c.Request.Path = url;
                    });
                    s.IgnoreStatusCode();
                });
                Assert.True(result.Context.Response.StatusCode == 401, $"{method} {url} answered {result.Context.Response.StatusCode} without a key");
                if (url.StartsWith("/v1/", StringComparison.Ordinal))
                {
                    // the OpenAI-compatible API answers OpenAI's error object, which its SDKs parse
                    Assert.Equal("invalid_api_key", (await result.Json())["error"]!["code"]!.GetValue<string>());
                }
                else
                {
                    await result.Problem(401);
                }
            }
        }
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex RouteParameter();
}
