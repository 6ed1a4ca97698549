using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wolverine;

namespace LoraPipeline.Artifacts;

/// <summary>The Artifacts module; the Host adds it with one call.</summary>
public static class ArtifactsModule
{
    public static IHostApplicationBuilder AddArtifacts(this IHostApplicationBuilder builder)
    {
        builder.Services.ConfigureWolverine(opts => opts.Discovery.IncludeAssembly(typeof(ArtifactsModule).Assembly));
        return builder;
    }

    public static IEndpointRouteBuilder MapArtifacts(this IEndpointRouteBuilder app) => app;
}
