using Microsoft.AspNetCore.Mvc;

namespace LoraPipeline.Platform.Http;

/// <summary>
/// A 4xx answer raised from anywhere below an endpoint; <see cref="ApiProblemExceptionHandler"/>
/// writes it as an RFC 9457 problem document with our <c>error</c> and <c>details</c> fields.
/// </summary>
public sealed class ApiProblemException(int status, string error, string detail, object? details = null)
    : Exception(detail)
{
    public int Status { get; } = status;
    public string Error { get; } = error;
    public object? Details { get; } = details;

    /// <summary>Sent as the Retry-After header (a limit that waiting lifts).</summary>
    public TimeSpan? RetryAfter { get; init; }
}

/// <summary>
/// The problems this API answers with. <c>error</c> is a short message a person can read;
/// <c>details</c> says exactly what to change (a sentence, or field errors by path).
/// </summary>
public static class ApiProblems
{
    public static ApiProblemException NotFound(string what) =>
        new(StatusCodes.Status404NotFound, $"{what} not found", $"No {what.ToLowerInvariant()} with that id exists for this account.");

    public static ApiProblemException Validation(FieldErrors errors) =>
        new(StatusCodes.Status400BadRequest, "Validation failed", errors.Summary(), errors.ToDictionary());

    public static ApiProblemException BadRequest(string error, string detail) =>
        new(StatusCodes.Status400BadRequest, error, detail);

    public static ApiProblemException Conflict(string error, string detail, object? details = null) =>
        new(StatusCodes.Status409Conflict, error, detail, details);

    public static ProblemDetails ToProblemDetails(this ApiProblemException problem)
    {
        var details = new ProblemDetails
        {
            Status = problem.Status,
            Title = problem.Error,
            Detail = problem.Message,
        };
        details.Extensions["error"] = problem.Error;
        details.Extensions["details"] = problem.Details ?? problem.Message;
        return details;
    }

    /// <summary>For endpoints that answer with IResult rather than throwing.</summary>
    public static IResult ToResult(this ApiProblemException problem) =>
        Results.Problem(problem.ToProblemDetails());
}
