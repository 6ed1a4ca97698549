using System.Buffers.Binary;
using System.Text.Json;
using LoraPipeline.Datasets.Model;
using LoraPipeline.Datasets.Validation;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Storage;
using Marten;
using Wolverine.Http;

namespace LoraPipeline.Datasets.Validating;

/// <param name="TotalErrors">Every error of the validation, counted by code in <paramref name="ErrorCounts"/>.</param>
/// <param name="ErrorsListed">Errors in the list (the first ones in line order); the pages cover these.</param>
/// <param name="Truncated">True when the list stops before the last error.</param>
public sealed record DatasetErrors(
    DatasetStatus Status, long TotalErrors, long ErrorsListed, bool Truncated, IReadOnlyDictionary<string, long> ErrorCounts,
    IReadOnlyList<ValidationIssue> Errors, Pagination Pagination);

public static class DatasetErrorsEndpoint
{
    /// <summary>
    /// The errors of the latest validation in line order, paged: the first <c>Datasets:MaxErrorsListed</c>
    /// of them (all are counted by code). A page is read by seeking through the errors file's line index, so
    /// the last page costs what the first does. A page past the last is a 400.
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
        var listed = dataset.ErrorsListed ?? dataset.ErrorCount;
        var pagination = Pagination.Of(p, l, listed);
        if (p > Math.Max(1, pagination.TotalPages))
        {
            fieldErrors.Add("page", $"{p} is past the last page ({Math.Max(1, pagination.TotalPages)}) of {listed} listed errors at limit {l}");
            throw ApiProblems.Validation(fieldErrors);
        }

        var issues = await ReadPageAsync(dataset, blobs, skip: (long)(p - 1) * l, take: l, ct);
        return Api.Ok(new DatasetErrors(dataset.Status, dataset.ErrorCount, listed, dataset.ErrorsListTruncated, dataset.ErrorCounts, issues, pagination));
    }

    private static async Task<List<ValidationIssue>> ReadPageAsync(Dataset dataset, IBlobStore blobs, long skip, int take, CancellationToken ct)
    {
        var issues = new List<ValidationIssue>(take);
        await using var file = blobs.OpenRead(dataset.ErrorsFile);
        if (file is null)
        {
            return issues;
        }

        var toSkip = await SeekAsync(file, dataset, blobs, skip, ct);
        using var reader = new StreamReader(file);
        while (issues.Count < take && await reader.ReadLineAsync(ct) is { } line)
        {
            if (toSkip-- > 0)
            {
                continue;
            }

            issues.Add(JsonSerializer.Deserialize<ValidationIssue>(line, IssueJson.Options)!);
        }

        return issues;
    }

    /// <summary>
    /// Moves the errors file to line <paramref name="skip"/> through the index and answers the lines still to skip:
    /// none, or all of them for an errors file written before there was an index.
    /// </summary>
    private static async Task<long> SeekAsync(Stream file, Dataset dataset, IBlobStore blobs, long skip, CancellationToken ct)
    {
        if (skip == 0)
        {
            return 0;
        }

        await using var index = blobs.OpenRead(dataset.ErrorsIndexFile);
        if (index is null || index.Length < (skip + 1) * sizeof(long))
        {
            return skip;
        }

        index.Seek(skip * sizeof(long), SeekOrigin.Begin);
        var offset = new byte[sizeof(long)];
        await index.ReadExactlyAsync(offset, ct);
        file.Seek(BinaryPrimitives.ReadInt64LittleEndian(offset), SeekOrigin.Begin);
        return 0;
    }
}
