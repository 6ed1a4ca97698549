using System.Security.Claims;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Datasets.Model;
using LoraPipeline.Datasets.Validation;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using Marten;
using Wolverine;
using Wolverine.Http;

namespace LoraPipeline.Datasets.Validating;

/// <summary>Both optional: the dataset's current value is kept when one is left out.</summary>
public sealed record RevalidateDataset(string? Format, int? MaxSequenceLength);

public static class RevalidateDatasetEndpoint
{
    public const int MinSequenceLength = 128;
    public const int MaxSequenceLength = 131_072;

    /// <summary>Validate again, for instance after choosing the other format or another maximum length.</summary>
    [WolverinePost("/api/datasets/{id}/validate", OperationId = "RevalidateDataset"), Tags("Datasets")]
    public static async Task<IResult> Revalidate(
        Guid id, RevalidateDataset body, ClaimsPrincipal caller, IDocumentSession session, IDatasetUsage usage, IMessageBus bus, TimeProvider clock,
        CancellationToken ct)
    {
        var stream = await session.Events.FetchForWriting<Dataset>(id, ct);
        var dataset = stream.Aggregate ?? throw ApiProblems.NotFound("Dataset");

        var errors = new FieldErrors();
        var format = body.Format ?? dataset.Format;
        if (!DatasetFormats.TryParse(format, out var parsed))
        {
            errors.Add("format", $"must be {DatasetFormats.V4WireName} or {DatasetFormats.V3WireName}");
        }

        var maxLength = body.MaxSequenceLength ?? dataset.MaxSequenceLength;
        errors.RequireRange("max_sequence_length", maxLength, (MinSequenceLength, MaxSequenceLength));
        if (errors.Any)
        {
            throw ApiProblems.Validation(errors);
        }

        if (dataset.DeletedAt is null && await usage.HasActiveJobsAsync(caller.UserId(), id, ct))
        {
            // a new run makes the dataset "validating" (or "error") under a job that is training on it
            throw ApiProblems.Conflict("Dataset in use", "A training job of this dataset is queued or running; cancel it or wait for it to end, then validate again.");
        }

        // "" parses as the default format: store the name it stands for
        var requested = Decide(dataset, parsed!.Value.ToWireName(), maxLength, clock.GetUtcNow());
        stream.AppendOne(requested);
        await bus.PublishAsync(new ValidateDataset(id, requested.Run));
        await session.SaveChangesAsync(ct);

        return Api.Accepted(await session.LoadAsync<Dataset>(id, ct));
    }

    public static DatasetRevalidationRequested Decide(Dataset dataset, string format, int maxSequenceLength, DateTimeOffset now)
    {
        if (dataset.DeletedAt is not null)
        {
            throw ApiProblems.Conflict("Dataset deleted", "A deleted dataset cannot be validated again; upload it anew.");
        }

        if (dataset.Status == DatasetStatus.Validating)
        {
            throw ApiProblems.Conflict("Validation in progress", "The dataset is being validated; wait for the result before asking again.",
                new { status = "validating" });
        }

        return new DatasetRevalidationRequested(dataset.Id, dataset.ValidationRun + 1, format, maxSequenceLength, now);
    }
}
