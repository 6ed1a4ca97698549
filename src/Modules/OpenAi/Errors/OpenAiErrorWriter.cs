using System.Text.Json;
using LoraPipeline.Platform.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace LoraPipeline.OpenAi.Errors;

/// <summary>
/// Every problem document of a /v1 request (a refused key, a route that does not exist, a body that does not parse,
/// a native rule's ApiProblemException, an <see cref="OpenAiException"/>) is written as OpenAI's error instead.
/// The SDKs retry 409, 429 and 5xx: a refusal that asking again cannot change (a job that has ended cannot be
/// cancelled, a budget that is spent) becomes a 400, so the SDK raises it at once instead of retrying it.
/// </summary>
internal sealed class OpenAiErrorWriter : IProblemDetailsWriter
{
    public const string ExceptionItem = "openai.exception";

    public bool CanWrite(ProblemDetailsContext context) => OpenAiModule.IsOpenAiRequest(context.HttpContext.Request);

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        var exception = context.Exception as OpenAiException ?? http.Items[ExceptionItem] as OpenAiException;
        var (status, error) = exception is not null
            ? (exception.Status, new OpenAiError(exception.Message, exception.Type, exception.Param, exception.Code))
            : Translate(context.ProblemDetails, http.Response.StatusCode);
        if (!http.Response.HasStarted)
        {
            http.Response.StatusCode = status;
        }

        await http.Response.WriteAsJsonAsync(new { error }, OpenAiJson.Options, "application/json", http.RequestAborted);
    }

    private static (int Status, OpenAiError Error) Translate(ProblemDetails problem, int responseStatus)
    {
        var status = problem.Status ?? responseStatus;
        var message = problem.Detail ?? problem.Title ?? "The request could not be handled.";
        var param = FirstField(problem);
        return status switch
        {
            401 => (401, new OpenAiError("Incorrect API key provided. Send a LoraPipeline key as 'Authorization: Bearer <key>'.",
                OpenAiError.InvalidRequest, null, "invalid_api_key")),
            404 => (404, new OpenAiError(message, OpenAiError.InvalidRequest, param, "not_found")),
            402 => (400, new OpenAiError(message, OpenAiError.InvalidRequest, null, "budget_exceeded")),
            409 => (400, new OpenAiError(message, OpenAiError.InvalidRequest, param, "conflict")),
            413 => (413, new OpenAiError(message, OpenAiError.InvalidRequest, "file", "file_too_large")),
            415 => (400, new OpenAiError(message, OpenAiError.InvalidRequest, "file", "unsupported_file")),
            // a per-user limit (README, "Per-user limits"): a 429 the SDKs retry after Retry-After, as OpenAI's own
            429 => (429, new OpenAiError(message, "requests", null, "rate_limit_exceeded")),
            403 => (403, new OpenAiError(message, OpenAiError.InvalidRequest, null, "quota_exceeded")),
            >= 500 => (status, new OpenAiError(message, OpenAiError.Server, null, null)),
            _ => (status, new OpenAiError(message, OpenAiError.InvalidRequest, param, null)),
        };
    }

    /// <summary>The first field a native validation error names, as OpenAI's <c>param</c>.</summary>
    private static string? FirstField(ProblemDetails problem) =>
        problem.Extensions.TryGetValue("details", out var details) switch
        {
            true when details is IReadOnlyDictionary<string, string[]> fields => fields.Keys.FirstOrDefault(),
            true when details is JsonElement { ValueKind: JsonValueKind.Object } json => json.EnumerateObject().Select(p => p.Name).FirstOrDefault(),
            _ => null,
        };
}
