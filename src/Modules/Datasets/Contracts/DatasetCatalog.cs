using LoraPipeline.Datasets.Model;
using LoraPipeline.Platform.Identity;
using Marten;

namespace LoraPipeline.Datasets.Contracts;

/// <summary>Answers <see cref="IDatasetCatalog"/> from the dataset view, in the user's own tenant.</summary>
internal sealed class DatasetCatalog(IDocumentStore store) : IDatasetCatalog
{
    public async Task<DatasetForTraining?> FindAsync(Guid userId, Guid datasetId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        var dataset = await session.LoadAsync<Dataset>(datasetId, ct);
        return dataset is null
            ? null
            : new DatasetForTraining(
                dataset.Id, dataset.Name, dataset.Format, dataset.Status.ToString().ToLowerInvariant(), dataset.TrainingReady,
                dataset.TotalTrainingPairs ?? 0, dataset.TotalValidationPairs ?? 0, dataset.TotalTokens ?? 0,
                dataset.ValidationReport?.BillableTokens ?? 0, dataset.MaxSequenceLength, dataset.File, dataset.DeletedAt is not null);
    }

    public Task<object?> FindViewAsync(Guid userId, Guid datasetId, CancellationToken ct) => DatasetViews.FindAsync(store, userId, datasetId, ct);
}

internal static class DatasetViews
{
    public static async Task<object?> FindAsync(IDocumentStore store, Guid userId, Guid datasetId, CancellationToken ct)
    {
        await using var session = store.QuerySession(Caller.TenantOf(userId));
        return await session.LoadAsync<Dataset>(datasetId, ct) is { } dataset ? DatasetView.From(dataset) : null;
    }
}

/// <summary>Used until a module that trains on datasets registers its own <see cref="IDatasetUsage"/>.</summary>
internal sealed class NoDatasetUsage : IDatasetUsage
{
    public Task<bool> HasActiveJobsAsync(Guid userId, Guid datasetId, CancellationToken ct) => Task.FromResult(false);
}
