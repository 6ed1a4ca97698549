using System.Text.Json;
using LoraPipeline.Datasets.Model;
using LoraPipeline.Datasets.Validation;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Storage;
using Marten;
using Wolverine.Http;

namespace LoraPipeline.Datasets.Validating;

public sealed record DatasetErrors(DatasetStatus Status, long TotalErrors, IReadOnlyDictionary<string, long> ErrorCounts, IReadOnlyList<ValidationIssue> Errors, Pagination Pagination);

public static class DatasetErrorsEndpoint
{
    /// <summary>
    /// Every error of the latest validation, in line order, paged (the dataset itself keeps the
    /// first 100). Read from the errors file the validation wrote, one JSON object per line.
    /// </summary>
    [WolverineGet("/api/datasets/{id}/errors", OperationId = "ListDatasetErrors"), Tags("Datasets")]
    public static async Task<ApiResponse<DatasetErrors>> List(Guid id, IQuerySession session, IBlobStore blobs, int? page, int? limit, CancellationToken ct)
    {
        var fieldErrors = new FieldErrors();
        var (p, l) = PageRequest.Resolve(page, limit, fieldErrors);
        if (fieldErrors.Any)
        {
            throw ApiProblems.Validation(fieldErrors);
        }

        var dataset = await session.LoadAsync<Dataset>(id, ct) ?? throw ApiProblems.NotFound("Dataset");
        var issues = new List<ValidationIssue>(l);
        await using (var file = blobs.OpenRead(dataset.ErrorsFile))
        {
            if (file is not null)
            {
                using var reader = new StreamReader(file);
                var skip = (long)(p - 1) * l;
                while (issues.Count < l && await reader.ReadLineAsync(ct) is { } line)
                {
                    if (skip-- > 0)
                    {
                        continue;
                    }

                    issues.Add(JsonSerializer.Deserialize<ValidationIssue>(line, IssueJson.Options)!);
                }
            }
        }

        return Api.Ok(new DatasetErrors(dataset.Status, dataset.ErrorCount, dataset.ErrorCounts, issues, Pagination.Of(p, l, dataset.ErrorCount)));
    }
}
