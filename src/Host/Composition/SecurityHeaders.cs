namespace LoraPipeline.Host.Composition;

/// <summary>
/// Headers that keep the dashboard and the file links from being framed, sniffed or scripted from elsewhere.
/// Every answer says <c>nosniff</c> and a referrer policy; the dashboard adds a strict Content-Security-Policy
/// (scripts and everything else only from this origin; inline style attributes are allowed for the charts), file
/// links one that runs nothing at all, and behind TLS, HSTS. The API reference page (/scalar) keeps its own needs.
/// </summary>
internal static class SecurityHeaders
{
    public const string DashboardPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        + "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public const string FilePolicy = "default-src 'none'; sandbox; frame-ancestors 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                var path = context.Request.Path;
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                if (path.StartsWithSegments("/files"))
                {
                    headers.ContentSecurityPolicy = FilePolicy;
                }
                else if (!path.StartsWithSegments("/scalar") && !path.StartsWithSegments("/api") && !path.StartsWithSegments("/gpu-sim"))
                {
                    headers.ContentSecurityPolicy = DashboardPolicy;
                    headers.XFrameOptions = "DENY";
                }

                if (context.Request.IsHttps)
                {
                    headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
                }

                return Task.CompletedTask;
            });
            await next(context);
        });
}
