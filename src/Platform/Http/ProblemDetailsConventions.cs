using Microsoft.AspNetCore.Http;

namespace LoraPipeline.Platform.Http;

/// <summary>
/// Makes every problem document, including the ones ASP.NET Core and Wolverine write themselves
/// (401, 404 from status code pages, 415, malformed JSON), carry <c>error</c> and <c>details</c>.
/// </summary>
public static class ProblemDetailsConventions
{
    public static void Apply(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Extensions.TryAdd("error", problem.Title ?? ReasonFor(problem.Status));
        problem.Extensions.TryAdd("details", problem.Detail ?? problem.Title ?? ReasonFor(problem.Status));
    }

    private static string ReasonFor(int? status) => status switch
    {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        405 => "Method not allowed",
        409 => "Conflict",
        413 => "Payload too large",
        415 => "Unsupported media type",
        _ => "Internal error",
    };
}
