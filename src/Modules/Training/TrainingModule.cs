using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wolverine;

namespace LoraPipeline.Training;

/// <summary>The Training module; the Host adds it with one call.</summary>
public static class TrainingModule
{
    public static IHostApplicationBuilder AddTraining(this IHostApplicationBuilder builder)
    {
        builder.Services.ConfigureWolverine(opts => opts.Discovery.IncludeAssembly(typeof(TrainingModule).Assembly));
        return builder;
    }

    public static IEndpointRouteBuilder MapTraining(this IEndpointRouteBuilder app) => app;
}
