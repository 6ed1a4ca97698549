using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wolverine;

namespace LoraPipeline.Billing;

/// <summary>The Billing module; the Host adds it with one call.</summary>
public static class BillingModule
{
    public static IHostApplicationBuilder AddBilling(this IHostApplicationBuilder builder)
    {
        builder.Services.ConfigureWolverine(opts => opts.Discovery.IncludeAssembly(typeof(BillingModule).Assembly));
        return builder;
    }

    public static IEndpointRouteBuilder MapBilling(this IEndpointRouteBuilder app) => app;
}
