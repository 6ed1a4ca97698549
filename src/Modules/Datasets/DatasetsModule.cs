using JasperFx.Events.Projections;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Datasets.Model;
using LoraPipeline.Datasets.Validating;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Wolverine;

namespace LoraPipeline.Datasets;

/// <summary>
/// Datasets: upload (streamed to the blob store), validation in the background with real token
/// counts, statistics, browsing, soft deletion, and <see cref="IDatasetCatalog"/> for other modules.
/// </summary>
public static class DatasetsModule
{
    public static IHostApplicationBuilder AddDatasets(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DatasetOptions>().BindConfiguration(DatasetOptions.Section)
            .Validate(o => o.MaxUploadBytes > 0 && o.MaxSequenceLength > 0 && o.MaxLineBytes > 0 && o.ValidationOverdueAfter > TimeSpan.Zero, "Datasets limits must be positive.")
            .ValidateOnStart();
        services.AddSingleton<StoredDatasetValidator>();
        services.AddSingleton<IDatasetCatalog, DatasetCatalog>();
        // scoped: it sends its changes through the scope's message bus
        services.AddScoped<IDatasetFiles, LoraPipeline.Datasets.Uploading.DatasetFiles>();
        services.AddSingleton<LoraPipeline.Platform.Storage.IBlobOwner, DatasetBlobs>();
        services.TryAddSingleton<IDatasetUsage, NoDatasetUsage>();
        services.AddSingleton<ValidationWatch>();
        services.AddHostedService(sp => sp.GetRequiredService<ValidationWatch>());

        services.ConfigureMarten(opts =>
        {
            opts.Projections.Add<DatasetProjection>(ProjectionLifecycle.Inline);
            opts.Schema.For<Dataset>()
                .Duplicate(d => d.CreatedAt)
                .Duplicate(d => d.DeletedAt)
                .Duplicate(d => d.Status);
        });

        services.ConfigureWolverine(opts =>
        {
            opts.Discovery.IncludeAssembly(typeof(DatasetsModule).Assembly);
            // one validation at a time: it already uses every core
            opts.LocalQueue(ValidateDatasetHandler.QueueName).Sequential().UseDurableInbox();
        });
        return builder;
    }
}
