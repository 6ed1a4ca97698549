using LoraPipeline.GpuSimulator;

namespace LoraPipeline.Host.Composition;

/// <summary>
/// GpuCluster:Mode = Simulated (the default): our GPU cluster simulator runs inside this process
/// under /gpu-sim, sharing the cluster key and callback secret with the client, which still calls
/// it over loopback HTTP. In External mode nothing of the simulator is added.
/// </summary>
internal static class SimulatedGpuCluster
{
    public const string PathPrefix = "/gpu-sim";

    public static bool IsSimulated(IConfiguration configuration) =>
        string.Equals(configuration["GpuCluster:Mode"] ?? "Simulated", "Simulated", StringComparison.OrdinalIgnoreCase);

    public static WebApplicationBuilder AddSimulatedGpuCluster(this WebApplicationBuilder builder)
    {
        if (!IsSimulated(builder.Configuration))
        {
            return builder;
        }

        builder.Services.AddGpuClusterSimulator(builder.Configuration);
        builder.Services.PostConfigure<SimulatorOptions>(o =>
        {
            o.ApiKey = builder.Configuration["GpuCluster:ApiKey"] ?? o.ApiKey;
            o.CallbackSecret = builder.Configuration["GpuCluster:CallbackSecret"] ?? o.CallbackSecret;
        });
        return builder;
    }

    public static WebApplication MapSimulatedGpuCluster(this WebApplication app)
    {
        if (IsSimulated(app.Configuration))
        {
            app.MapGpuClusterSimulator(PathPrefix);
        }

        return app;
    }
}
