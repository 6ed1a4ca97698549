using Microsoft.AspNetCore.Builder;

namespace LoraPipeline.Platform.Http;

/// <summary>
/// Every JSON body this API reads is an object. Wolverine hands a body of <c>null</c> to the endpoint
/// as a null argument (a 500) and refuses an empty body even where every field is optional, so here:
/// <c>null</c>, arrays and scalars are a 400 that says what to send, and an empty body counts as <c>{}</c>.
/// Runs after the body limit, so at most 1 MiB is buffered.
/// </summary>
public static class JsonObjectBodies
{
    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    public static IApplicationBuilder UseJsonObjectBodies(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (ReadsBody(request))
            {
                request.EnableBuffering();
                var first = await FirstSignificantByteAsync(request.Body, context.RequestAborted);
                request.Body.Position = 0;
                if (first is null)
                {
                    request.Body = new MemoryStream(EmptyObject);
                    request.ContentLength = EmptyObject.Length;
                    request.ContentType = "application/json";
                }
                else if (request.ContentType is not null && first != (byte)'{') // a body without a type is the endpoint's 415
                {
                    throw ApiProblems.BadRequest("Request body is not a JSON object",
                        $"The body is {Describe(first.Value)}; send a JSON object such as {{\"name\": \"...\"}} ({{}} or an empty body where every field is optional).");
                }
            }

            await next(context);
        });

    private static bool ReadsBody(HttpRequest request)
    {
        if (!(HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method))
            || !request.Path.StartsWithSegments("/api"))
        {
            return false;
        }

        // no type: a bare POST (curl -X POST sends neither a length nor a type) is an empty JSON body
        var type = request.ContentType;
        return type is null
            || type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) || type.StartsWith("text/json", StringComparison.OrdinalIgnoreCase);
    }

    private static string Describe(byte first) => first switch
    {
        (byte)'n' => "null",
        (byte)'[' => "an array",
        (byte)'"' => "a string",
        (byte)'t' or (byte)'f' => "a boolean",
        (byte)'-' or (>= (byte)'0' and <= (byte)'9') => "a number",
        _ => "not JSON",
    };

    /// <summary>The first byte that is not JSON white space or a UTF-8 byte order mark; null for an empty body.</summary>
    private static async Task<byte?> FirstSignificantByteAsync(Stream body, CancellationToken ct)
    {
        var buffer = new byte[256];
        int read;
        while ((read = await body.ReadAsync(buffer, ct)) > 0)
        {
            foreach (var b in buffer.AsSpan(0, read))
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF))
                {
                    return b;
                }
            }
        }

        return null;
    }
}
