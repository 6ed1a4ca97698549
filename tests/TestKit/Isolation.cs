using Alba;
using Xunit;

namespace LoraPipeline.TestKit;

/// <summary>
/// The isolation rule every module proves with the same assertion: another user's resource answers
/// exactly like a resource that does not exist (404, same problem title), so ids leak nothing.
/// </summary>
public static class Isolation
{
    public static async Task AssertHiddenFromStranger(PlatformHost platform, TestUser stranger, string ownerUrl, string missingUrl, HttpMethod? method = null)
    {
        method ??= HttpMethod.Get;
        var asStranger = await Send(platform, stranger, method, ownerUrl);
        var missing = await Send(platform, stranger, method, missingUrl);

        var strangerProblem = await asStranger.Problem(404);
        var missingProblem = await missing.Problem(404);
        Assert.Equal(missingProblem["title"]!.GetValue<string>(), strangerProblem["title"]!.GetValue<string>());
        Assert.Equal(missingProblem["error"]!.GetValue<string>(), strangerProblem["error"]!.GetValue<string>());
    }

    private static Task<IScenarioResult> Send(PlatformHost platform, TestUser user, HttpMethod method, string url) =>
        platform.Host.Scenario(s =>
        {
            s.As(user);
            s.ConfigureHttpContext(c =>
            {
                c.Request.Method = method.Method;
                c.Request.Path = url.Split('?')[0];
                c.Request.QueryString = url.Contains('?') ? new Microsoft.AspNetCore.Http.QueryString(url[url.IndexOf('?')..]) : default;
                if (method != HttpMethod.Get && method != HttpMethod.Delete)
                {
                    // an empty JSON body, so body binding is not what answers
                    c.Request.ContentType = "application/json";
                    c.Request.Body = new MemoryStream("{}"u8.ToArray());
                }
            });

            s.StatusCodeShouldBe(404);
        });
}
