using System.Globalization;
using LoraPipeline.Platform.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace LoraPipeline.Platform.Limits;

/// <summary>
/// A per-user limit was reached. <paramref name="RetryAfter"/> is set when waiting helps (a rate, a number of
/// things in progress: 429 with Retry-After); null when the user must act first (delete datasets: 403).
/// </summary>
public sealed record UserLimitExceeded(string Error, string Detail, string Limit, long Value, TimeSpan? RetryAfter)
{
    public ApiProblemException ToProblem() =>
        new(RetryAfter is null ? StatusCodes.Status403Forbidden : StatusCodes.Status429TooManyRequests, Error, Detail,
            new Dictionary<string, object?> { ["limit"] = Limit, ["value"] = Value, ["retry_after_seconds"] = RetryAfterSeconds })
        {
            RetryAfter = RetryAfter,
        };

    public int? RetryAfterSeconds => RetryAfter is { } wait ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : null;
}

public static class UserLimits
{
    /// <summary>Writes the problem document of a limit outside an endpoint (the rate limiter's rejection).</summary>
    public static async Task WriteTooManyAsync(HttpContext http, UserLimitExceeded limit, CancellationToken ct)
    {
        var problem = limit.ToProblem();
        http.Response.StatusCode = problem.Status;
        if (limit.RetryAfterSeconds is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        var writer = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await writer.WriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem.ToProblemDetails() });
    }
}
