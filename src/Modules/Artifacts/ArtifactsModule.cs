using JasperFx.Events.Projections;
using LoraPipeline.Artifacts.Collecting;
using LoraPipeline.Artifacts.Model;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wolverine;

namespace LoraPipeline.Artifacts;

/// <summary>Artifacts: collect, store, inspect, score and deliver trained adapters.</summary>
public static class ArtifactsModule
{
    public static IHostApplicationBuilder AddArtifacts(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ArtifactOptions>().BindConfiguration(ArtifactOptions.Section)
            .Validate(o => o.MaxCollectionAttempts > 0 && o.MaxFileBytes > 0 && o.CollectionOverdueAfter > TimeSpan.Zero, "Artifacts limits must be positive.")
            .ValidateOnStart();
        services.AddTransient<ArtifactCollector>();
        services.AddSingleton<Contracts.IModelCatalog, ModelCatalog>();
        services.AddSingleton<LoraPipeline.Platform.Storage.IBlobOwner, ModelBlobs>();
        services.AddSingleton<CollectionWatch>();
        services.AddHostedService(sp => sp.GetRequiredService<CollectionWatch>());

        services.ConfigureMarten(opts =>
        {
            opts.Projections.Add<ModelArtifactProjection>(ProjectionLifecycle.Inline);
            opts.Schema.For<ModelArtifact>().Duplicate(m => m.CreatedAt).Duplicate(m => m.QualityScore).Duplicate(m => m.DeletedAt);
            opts.Schema.For<Checkpoints.StoredCheckpoint>().Duplicate(c => c.JobId);
        });

        services.ConfigureWolverine(opts =>
        {
            opts.Discovery.IncludeAssembly(typeof(ArtifactsModule).Assembly);
            opts.CodeGeneration.AlwaysUseServiceLocationFor<ArtifactCollector>();
        });
        return builder;
    }
}
