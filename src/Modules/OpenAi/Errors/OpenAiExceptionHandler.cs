using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace LoraPipeline.OpenAi.Errors;

/// <summary>An <see cref="OpenAiException"/> is an answer, not a failure: written by <see cref="OpenAiErrorWriter"/>, not logged as an error.</summary>
internal sealed class OpenAiExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (exception is not OpenAiException openAi)
        {
            return false;
        }

        context.Response.StatusCode = openAi.Status;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, Exception = exception });
    }
}
