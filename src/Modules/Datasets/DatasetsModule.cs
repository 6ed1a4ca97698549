using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wolverine;

namespace LoraPipeline.Datasets;

/// <summary>The Datasets module; the Host adds it with one call.</summary>
public static class DatasetsModule
{
    public static IHostApplicationBuilder AddDatasets(this IHostApplicationBuilder builder)
    {
        builder.Services.ConfigureWolverine(opts => opts.Discovery.IncludeAssembly(typeof(DatasetsModule).Assembly));
        return builder;
    }

    public static IEndpointRouteBuilder MapDatasets(this IEndpointRouteBuilder app) => app;
}
