using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Features;

namespace LoraPipeline.Platform.Http;

/// <summary>
/// Every body but a multipart upload is small JSON: anything declared larger than 1 MiB is a 413
/// before a byte is read, and the server stops reading past it otherwise. Uploads set their own
/// limit (Datasets:MaxUploadBytes). Enforced here so it holds whatever server is in front.
/// </summary>
public static class RequestBodyLimit
{
    public const long MaxJsonBodyBytes = 1024 * 1024;

    public static IApplicationBuilder UseJsonBodyLimit(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var multipart = context.Request.ContentType?.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) == true;
            if (!multipart)
            {
                if (context.Request.ContentLength > MaxJsonBodyBytes)
                {
                    throw new ApiProblemException(StatusCodes.Status413PayloadTooLarge, "Payload too large",
                        $"A request body may have at most {MaxJsonBodyBytes:N0} bytes (dataset uploads excepted).");
                }

                if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                {
                    limit.MaxRequestBodySize = MaxJsonBodyBytes;
                }
            }

            await next(context);
        });
}
