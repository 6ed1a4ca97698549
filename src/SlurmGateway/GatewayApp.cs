using LoraPipeline.SlurmGateway.Api;
using LoraPipeline.SlurmGateway.Jobs;
using LoraPipeline.SlurmGateway.Slurm;
using Microsoft.Extensions.Options;

namespace LoraPipeline.SlurmGateway;

/// <summary>Builds the gateway: options validated at start, the Slurm client, the monitor, the contract's endpoints.</summary>
public static class GatewayApp
{
    /// <param name="configure">Tests change services here (e.g. route dataset downloads and callbacks to an in-memory platform).</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Services.AddOptions<GatewayOptions>().Bind(builder.Configuration.GetSection(GatewayOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidation>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SlurmToken>();
        builder.Services.AddSingleton<JobFolders>();
        builder.Services.AddSingleton<DownloadLinks>();
        builder.Services.AddSingleton<DatasetFetcher>();
        builder.Services.AddSingleton<JobSubmitter>();
        builder.Services.AddHttpClient<SlurmRestClient>(SlurmRestClient.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30));
        builder.Services.AddHttpClient(DatasetFetcher.HttpClientName, c => c.Timeout = TimeSpan.FromMinutes(30));
        builder.Services.AddHttpClient(SlurmMonitor.CallbackClientName, c => c.Timeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton<SlurmMonitor>();
        builder.Services.AddHostedService(s => s.GetRequiredService<SlurmMonitor>());
        configure?.Invoke(builder);

        var app = builder.Build();
        Directory.CreateDirectory(app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.JobRoot is { Length: > 0 } root ? root : ".");
        app.MapClusterContract();
        return app;
    }

    /// <summary>Sends the gateway's own outgoing calls to the platform (datasets, callbacks) through this handler.</summary>
    public static IServiceCollection RouteGatewayCallsThrough(this IServiceCollection services, Func<HttpMessageHandler> primaryHandler)
    {
        services.AddHttpClient(DatasetFetcher.HttpClientName).ConfigurePrimaryHttpMessageHandler(primaryHandler);
        services.AddHttpClient(SlurmMonitor.CallbackClientName).ConfigurePrimaryHttpMessageHandler(primaryHandler);
        return services;
    }
}
