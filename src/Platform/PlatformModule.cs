using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Platform.Limits;
using LoraPipeline.Platform.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wolverine;

namespace LoraPipeline.Platform;

/// <summary>The shared kernel every module stands on; the Host adds it with one call.</summary>
public static class PlatformModule
{
    public static IHostApplicationBuilder AddPlatform(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);

        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section)
            .Validate(o => o.SigningKey.Length >= 32, "Storage:SigningKey must have at least 32 characters (run.sh generates one into .data/secrets).")
            .Validate(o => Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out _), "Storage:PublicBaseUrl must be an absolute URL.")
            .ValidateOnStart();
        services.AddSingleton<IBlobStore, FileSystemBlobStore>();
        services.AddSingleton<FileLinkSigner>();
        services.AddSingleton<BlobSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<BlobSweeper>());

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddExceptionHandler<ApiProblemExceptionHandler>();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemDetailsConventions.Apply);

        services.AddSingleton<Limits.UserConcurrency>();
        builder.AddRequestRateLimit();

        services.AddOptions<DemoAccountOptions>().BindConfiguration(DemoAccountOptions.Section);
        services.AddSingleton<DemoAccount>();
        services.AddHostedService(sp => sp.GetRequiredService<DemoAccount>());

        services.ConfigureWolverine(opts => opts.Discovery.IncludeAssembly(typeof(PlatformModule).Assembly));
        return builder;
    }

    public static IEndpointRouteBuilder MapPlatform(this IEndpointRouteBuilder app)
    {
        app.MapFileDownloads();
        return app;
    }
}
