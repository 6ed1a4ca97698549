using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Platform.Limits;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Scalar.AspNetCore;
using Wolverine.Http;

namespace LoraPipeline.Host.Composition;

/// <summary>
/// The HTTP conventions: snake_case JSON, problem documents for every error, API keys on every
/// endpoint but health, OpenAPI and the reference page, and the tenant taken from the caller.
/// </summary>
internal static class HttpSurface
{
    public static WebApplicationBuilder AddHttpSurface(this WebApplicationBuilder builder)
    {
        builder.Services.AddWolverineHttp();
        builder.Services.ConfigureSystemTextJsonForWolverineOrMinimalApi(o => ApiJson.Configure(o.SerializerOptions));

        builder.Services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer<OpenApiDocumentInfo>();
            o.AddOperationTransformer<OpenApiOperationCleanup>();
            o.AddSchemaTransformer<OpenApiNumbersAreNumbers>();
            o.AddDocumentTransformer<OpenApiRequiredAsSent>();
        });

        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: ["ready"]);

        // Uploads stream to storage and set their own (larger) limit; see RequestBodyLimit for the rest.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = RequestBodyLimit.MaxJsonBodyBytes);
        return builder;
    }

    public static WebApplication UseHttpSurface(this WebApplication app)
    {
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseJsonBodyLimit();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseRouting(); // after static files: the dashboard fallback must not swallow /assets/*
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRequestRateLimit(); // per API key: after the key is known, before any body is read
        app.UseJsonObjectBodies(); // after the key is checked: an unauthenticated request's body is never buffered

        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference(o => o.WithTitle("LoraPipeline API")).AllowAnonymous();
        app.MapGet("/docs", () => Results.Redirect("/scalar/")).AllowAnonymous().ExcludeFromDescription();

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthReportJson.Write })
            .AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = HealthReportJson.Write })
            .AllowAnonymous();
        return app;
    }

    /// <summary>
    /// The dashboard (built into wwwroot by scripts/build-client.sh): client-side routes such as
    /// /training/jobs/{id} fall back to index.html. API, files, health and docs keep their answers.
    /// </summary>
    public static WebApplication MapDashboard(this WebApplication app)
    {
        if (File.Exists(Path.Combine(app.Environment.WebRootPath ?? "wwwroot", "index.html")))
        {
            app.MapFallbackToFile("{*path:regex(^(?!api/|v1/|files/|health/|openapi/|scalar|gpu-sim/).*$)}", "index.html").AllowAnonymous();
        }

        return app;
    }

    public static WebApplication MapWolverineSurface(this WebApplication app)
    {
        app.MapWolverineEndpoints(opts =>
        {
            opts.TenantId.IsClaimTypeNamed(Caller.UserIdClaim);
            opts.RequireAuthorizeOnAll();
            // "?limit=abc" is a 400, not a silently ignored parameter.
            opts.RejectUnparseableQueryValues = true;
        });
        return app;
    }
}
