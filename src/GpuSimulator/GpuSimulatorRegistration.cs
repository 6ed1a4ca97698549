using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LoraPipeline.GpuSimulator;

/// <summary>Registers and maps the GPU cluster simulator (see README.md next to this file).</summary>
public static class GpuSimulatorRegistration
{
    /// <summary>Base models the simulated cluster can train (and produce adapters for).</summary>
    public static IReadOnlyList<string> SupportedBaseModels => ModelArchitectures.SupportedBaseModels;

    /// <summary>
    /// Adds the simulator's services, bound to the configuration section <c>Simulator</c>. Uses the registered
    /// <see cref="TimeProvider"/> (adds <see cref="TimeProvider.System"/> when none is registered).
    /// </summary>
    public static IServiceCollection AddGpuClusterSimulator(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SimulatorOptions.SectionName);
        services.AddOptions<SimulatorOptions>()
            .Bind(section)
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.ConnectionString))
                {
                    o.ConnectionString = configuration.GetConnectionString("Postgres");
                }
            })
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString),
                "Simulator:ConnectionString (or ConnectionStrings:Postgres) is required")
            .Validate(o => !string.IsNullOrWhiteSpace(o.ApiKey), "Simulator:ApiKey must not be empty")
            .Validate(o => o.TimeScale > 0 && double.IsFinite(o.TimeScale), "Simulator:TimeScale must be positive")
            .Validate(o => o.GpuThroughput.Count > 0 && o.GpuThroughput.Values.All(v => v > 0),
                "Simulator:GpuThroughput values must be positive")
            .Validate(o => new[]
            {
                o.Faults.SubmitFailureRate, o.Faults.StatusFailureRate, o.Faults.StatusTimeoutRate,
                o.Faults.JobFailureRate, o.Faults.LostJobRate, o.Faults.ArtifactFailureRate,
            }.All(r => r is >= 0 and <= 1), "Simulator:Faults rates must be between 0 and 1")
            .Validate(o => o.PreemptionRate is >= 0 and <= 1, "Simulator:PreemptionRate must be between 0 and 1")
            .Validate(o => o.RestartSeconds >= 0 && double.IsFinite(o.RestartSeconds), "Simulator:RestartSeconds must not be negative")
            .Validate(o => o.CheckpointEvery >= 0, "Simulator:CheckpointEvery must not be negative")
            .Validate(o => o.CallbackSignature is CallbackSignatures.V1 or CallbackSignatures.V2, "Simulator:CallbackSignature must be v1 or v2")
            .Validate(o => o.Faults.ArtifactFailuresPerFile >= 0, "Simulator:Faults:ArtifactFailuresPerFile must not be negative")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(DatasetInspector.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan);
        services.AddHttpClient(CallbackPusher.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10));
        services.TryAddSingleton<JobStore>();
        services.TryAddSingleton<DatasetInspector>();
        services.TryAddSingleton<CallbackPusher>();
        services.TryAddSingleton<SimulatorService>();
        services.AddHostedService(sp => sp.GetRequiredService<CallbackPusher>());
        services.AddHostedService<SchemaInitializer>();
        return services;
    }

    /// <summary>
    /// Maps the cluster contract (v2) under <paramref name="prefix"/>: <c>POST training/submit</c>,
    /// <c>GET training/status/{id}</c>, <c>POST training/cancel/{id}</c>, <c>POST training/pause/{id}</c>,
    /// <c>POST training/resume/{id}</c>, <c>GET training/artifacts/{id}[?checkpoint=STEP]</c>,
    /// <c>GET training/artifacts/{id}/files/{name}[?checkpoint=STEP]</c> and <c>GET health</c>. Anonymous for ASP.NET Core; the
    /// endpoints check <c>Authorization: Bearer {Simulator:ApiKey}</c> themselves.
    /// </summary>
    public static IEndpointRouteBuilder MapGpuClusterSimulator(this IEndpointRouteBuilder app, string prefix = "/gpu-sim")
    {
        ArgumentNullException.ThrowIfNull(app);
        var normalized = NormalizePrefix(prefix);
        var root = app.MapGroup(normalized).AllowAnonymous().ExcludeFromDescription();
        root.AddEndpointFilter(async (invocation, next) =>
        {
            try
            {
                return await next(invocation);
            }
            catch (NpgsqlException ex)
            {
                invocation.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>()
                    .CreateLogger(typeof(GpuSimulatorRegistration)).LogError(ex, "GPU simulator: database unavailable");
                return Results.Json(new ErrorResponse("GPU cluster simulator database unavailable"), SimulatorJson.Options,
                    statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });

        root.MapGet("/health", () => Results.Json(new { status = "ok" }, SimulatorJson.Options));

        // artifact downloads: bearer key, or the token of a download_url (which works like a pre-signed URL)
        // (a checkpoint's file has ?checkpoint=STEP, which its token covers too)
        root.MapMethods("/training/artifacts/{externalJobId}/files/{name}", [HttpMethods.Get, HttpMethods.Head], (HttpContext context, string externalJobId, string name) =>
        {
            var key = Options(context).ApiKey;
            var checkpointText = context.Request.Query["checkpoint"].ToString();
            var checkpoint = checkpointText.Length > 0 ? SimulatorService.TryParseStep(checkpointText) : null;
            var malformed = checkpointText.Length > 0 && checkpoint is null;
            var token = context.Request.Query["token"].ToString();
            var tokenValid = token.Length > 0 && !malformed
                && FixedTimeEquals(token, SimulatorService.DownloadToken(key, externalJobId, name, checkpoint));
            if (!tokenValid && !IsAuthorized(context, key))
            {
                return Task.FromResult(Unauthorized(context));
            }

            return malformed
                ? Task.FromResult(Results.Json(new ErrorResponse("checkpoint must be a step number"), SimulatorJson.Options, statusCode: StatusCodes.Status400BadRequest))
                : Service(context).ArtifactFileAsync(context, externalJobId, name, checkpoint);
        });

        var api = root.MapGroup("/training").AddEndpointFilter(async (invocation, next) =>
            IsAuthorized(invocation.HttpContext, Options(invocation.HttpContext).ApiKey) ? await next(invocation) : Unauthorized(invocation.HttpContext));

        api.MapPost("/submit", (Delegate)((HttpContext context) => Service(context).SubmitAsync(context, normalized)));
        api.MapGet("/status/{externalJobId}", (HttpContext context, string externalJobId) => Service(context).StatusAsync(context, externalJobId));
        api.MapGet("/jobs/by-key/{idempotencyKey}", (HttpContext context, string idempotencyKey) => Service(context).FindByKeyAsync(context, idempotencyKey));
        api.MapPost("/cancel/{externalJobId}", (HttpContext context, string externalJobId) => Service(context).CancelAsync(context, externalJobId));
        api.MapPost("/pause/{externalJobId}", (HttpContext context, string externalJobId) => Service(context).PauseAsync(context, externalJobId));
        api.MapPost("/resume/{externalJobId}", (HttpContext context, string externalJobId) => Service(context).ResumeAsync(context, externalJobId));
        api.MapGet("/artifacts/{externalJobId}", (HttpContext context, string externalJobId) =>
            Service(context).ArtifactsAsync(context, externalJobId, normalized));
        return app;
    }

    /// <summary>
    /// Runs the simulator on its own: <c>Simulator:Url</c> (default http://127.0.0.1:5090, or <c>--urls</c>),
    /// contract at <c>Simulator:PathPrefix</c> (default: the root). Configuration from appsettings.json,
    /// environment variables (<c>Simulator__ApiKey</c>) and the command line (<c>--Simulator:ApiKey=...</c>).
    /// </summary>
    public static async Task RunStandaloneAsync(string[] args)
    {
        await using var app = BuildStandalone(args);
        await app.RunAsync();
    }

    /// <summary>
    /// Sends the simulator's own outbound calls (dataset downloads, callbacks) through
    /// <paramref name="primaryHandler"/>: tests use it to reach a platform hosted in memory.
    /// </summary>
    public static IServiceCollection RouteSimulatorCallsThrough(this IServiceCollection services, Func<HttpMessageHandler> primaryHandler)
    {
        services.AddHttpClient(DatasetInspector.HttpClientName).ConfigurePrimaryHttpMessageHandler(primaryHandler);
        services.AddHttpClient(CallbackPusher.HttpClientName).ConfigurePrimaryHttpMessageHandler(primaryHandler);
        return services;
    }

    /// <summary>The standalone simulator, built but not started (tests start it on a free port).</summary>
    public static WebApplication BuildStandalone(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Services.AddGpuClusterSimulator(builder.Configuration);
        var settings = builder.Configuration.GetSection(SimulatorOptions.SectionName).Get<SimulatorOptions>() ?? new SimulatorOptions();
        if (string.IsNullOrWhiteSpace(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(settings.Url);
        }

        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapGpuClusterSimulator(settings.PathPrefix);
        return app;
    }

    internal static string NormalizePrefix(string? prefix)
    {
        var trimmed = (prefix ?? "").Trim().TrimEnd('/');
        return trimmed.Length == 0 ? "" : trimmed.StartsWith('/') ? trimmed : "/" + trimmed;
    }

    private static SimulatorService Service(HttpContext context) => context.RequestServices.GetRequiredService<SimulatorService>();

    private static SimulatorOptions Options(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptionsMonitor<SimulatorOptions>>().CurrentValue;

    private static IResult Unauthorized(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Json(new ErrorResponse("missing or invalid bearer token"), SimulatorJson.Options, statusCode: StatusCodes.Status401Unauthorized);
    }

    private static bool IsAuthorized(HttpContext context, string apiKey)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return FixedTimeEquals(header[scheme.Length..].Trim(), apiKey);
    }

    private static bool FixedTimeEquals(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));

    /// <summary>
    /// Creates the schema and table when the host starts. A database that is not reachable yet does not stop the
    /// host: the store creates the table lazily on first use, and requests answer 503 until then.
    /// </summary>
    private sealed class SchemaInitializer(JobStore store, ILogger<SchemaInitializer> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            try
            {
                await store.EnsureSchemaAsync(cancellationToken);
            }
            catch (NpgsqlException ex)
            {
                logger.LogWarning(ex, "GPU simulator: could not create its schema at start; will retry on first use");
            }
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
