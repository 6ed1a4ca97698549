using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace LoraPipeline.Platform.Http;

/// <summary>
/// Turns the exceptions that mean "bad request" into problem documents instead of 500s:
/// our own <see cref="ApiProblemException"/>, Kestrel's body-size limit (413), the multipart
/// limits (413), unreadable JSON (400) and a change that lost a race with another request (409).
/// Anything else stays a 500, which is a bug.
/// </summary>
public sealed class ApiProblemExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var problem = exception switch
        {
            ApiProblemException api => api.ToProblemDetails(),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } tooLarge =>
                Describe(StatusCodes.Status413PayloadTooLarge, "Payload too large", tooLarge.Message),
            BadHttpRequestException bad => Describe(bad.StatusCode, "Bad request", bad.Message),
            InvalidDataException invalid when invalid.Message.Contains("limit", StringComparison.OrdinalIgnoreCase) =>
                Describe(StatusCodes.Status413PayloadTooLarge, "Payload too large", invalid.Message),
            InvalidDataException invalid => Describe(StatusCodes.Status400BadRequest, "Malformed request body", invalid.Message),
            JsonException json => Describe(StatusCodes.Status400BadRequest, "Malformed JSON", json.Message),
            // two requests changed the same stream or document at once (a double click): the first won
            _ when LostWriteRace.Caused(exception) =>
                Describe(StatusCodes.Status409Conflict, "Changed at the same moment",
                    "Another request changed this resource at the same moment and was applied first; read it again and repeat this request if it is still needed."),
            _ => null,
        };

        if (problem is null)
        {
            return false;
        }

        if (problem.Status == StatusCodes.Status413PayloadTooLarge)
        {
            // the rest of the body is not read: tell the client not to reuse the connection
            context.Response.Headers.Connection = "close";
        }

        if (exception is ApiProblemException { RetryAfter: { } retryAfter })
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = problem,
        });
    }

    private static ProblemDetails Describe(int status, string title, string detail)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        problem.Extensions["error"] = title;
        problem.Extensions["details"] = detail;
        return problem;
    }
}
