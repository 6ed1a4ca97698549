using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Hosting;
using Wolverine.Http;

namespace LoraPipeline.Platform.Identity;

public sealed record DemoKey(string Key, string UserName);

public static class DemoKeyEndpoint
{
    /// <summary>
    /// Development only: the demo user's key, so the dashboard can offer it on its sign-in page.
    /// Anywhere else (and whenever the demo account is off) it does not exist: 404.
    /// </summary>
    [AllowAnonymous, NotTenanted]
    [WolverineGet("/api/dev/demo-key", OperationId = "GetDemoKey"), Tags("Account")]
    public static IResult Get(DemoAccount demo, IHostEnvironment environment) =>
        environment.IsDevelopment() && demo.Key is { } key
            ? Results.Json(new Http.ApiResponse<DemoKey>(new DemoKey(key, DemoAccount.UserName)))
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "There is no demo account here.");
}
