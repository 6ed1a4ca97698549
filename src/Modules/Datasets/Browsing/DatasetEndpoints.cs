using LoraPipeline.Datasets.Model;
using LoraPipeline.Datasets.Validating;
using LoraPipeline.Platform.Http;
using Marten;
using Marten.Pagination;
using Wolverine.Http;

namespace LoraPipeline.Datasets.Browsing;

/// <summary>One line of the dataset list: what a list needs, not the whole validation report.</summary>
public sealed record DatasetSummary(
    Guid Id,
    string Name,
    string? Description,
    string Format,
    DatasetStatus Status,
    string FileName,
    long FileSize,
    long? TotalTrainingPairs,
    long? TotalValidationPairs,
    long? TotalTokens,
    bool TrainingReady,
    long ErrorCount,
    long WarningCount,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ValidatedAt);

public sealed record DatasetList(IReadOnlyList<DatasetSummary> Datasets, Pagination Pagination);

public static class ListDatasetsEndpoint
{
    /// <summary>The caller's datasets, newest first; deleted ones are hidden.</summary>
    [WolverineGet("/api/datasets", OperationId = "ListDatasets"), Tags("Datasets")]
    public static async Task<ApiResponse<DatasetList>> List(
        IQuerySession session, HttpRequest request, int? page, int? limit, DatasetStatus? status, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var (p, l) = PageRequest.Resolve(page, limit, errors);
        errors.RequireName<DatasetStatus>(request, "status");
        if (errors.Any)
        {
            throw ApiProblems.Validation(errors);
        }

        var query = session.Query<Dataset>().Where(d => d.DeletedAt == null);
        if (status is { } wanted)
        {
            query = query.Where(d => d.Status == wanted);
        }

        var found = await query.OrderByDescending(d => d.CreatedAt).ToPagedListAsync(p, l, ct);
        var summaries = found.Select(d => new DatasetSummary(
            d.Id, d.Name, d.Description, d.Format, d.Status, d.FileName, d.FileSize, d.TotalTrainingPairs, d.TotalValidationPairs,
            d.TotalTokens, d.TrainingReady, d.ErrorCount, d.WarningCount, d.CreatedAt, d.ValidatedAt)).ToList();
        return Api.Ok(new DatasetList(summaries, Pagination.Of(p, l, found.TotalItemCount)));
    }
}

public static class GetDatasetEndpoint
{
    /// <summary>One dataset with its statistics, warnings, first errors and, while validating, progress.</summary>
    [WolverineGet("/api/datasets/{id}", OperationId = "GetDataset"), Tags("Datasets")]
    public static async Task<ApiResponse<DatasetView>> Get(Guid id, IQuerySession session, CancellationToken ct)
    {
        var dataset = await session.LoadAsync<Dataset>(id, ct) ?? throw ApiProblems.NotFound("Dataset");
        var progress = dataset.Status == DatasetStatus.Validating
                       && await session.LoadAsync<DatasetValidationProgress>(id, ct) is { } recorded
                       && recorded.Run == dataset.ValidationRun
            ? recorded.View()
            : null;
        return Api.Ok(DatasetView.From(dataset, progress));
    }
}
