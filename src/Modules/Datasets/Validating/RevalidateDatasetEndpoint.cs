using System.Security.Claims;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Datasets.Model;
using LoraPipeline.Datasets.Validation;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using Microsoft.AspNetCore.Mvc;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

namespace LoraPipeline.Datasets.Validating;

/// <summary>Both optional: the dataset's current value is kept when one is left out.</summary>
public sealed record RevalidateDataset(string? Format, int? MaxSequenceLength);

/// <summary>Validate again, for instance after choosing the other format or another maximum length (202).</summary>
public static class RevalidateDatasetEndpoint
{
    public const int MinSequenceLength = 128;
    public const int MaxSequenceLength = 131_072;

    public static async Task<ProblemDetails> ValidateAsync(
        RevalidateDataset body, Dataset? dataset, ClaimsPrincipal caller, IDatasetUsage usage, CancellationToken ct)
    {
        if (dataset is null)
        {
            return ApiProblems.NotFound("Dataset").ToProblemDetails();
        }

        var errors = new FieldErrors();
        if (!DatasetFormats.TryParse(body.Format ?? dataset.Format, out _))
        {
            errors.Add("format", $"must be {DatasetFormats.V4WireName} or {DatasetFormats.V3WireName}");
        }

        errors.RequireRange("max_sequence_length", body.MaxSequenceLength ?? dataset.MaxSequenceLength, (MinSequenceLength, MaxSequenceLength));
        if (errors.Any)
        {
            return ApiProblems.Validation(errors).ToProblemDetails();
        }

        if (dataset.DeletedAt is null && await usage.HasActiveJobsAsync(caller.UserId(), dataset.Id, ct))
        {
            // a new run makes the dataset "validating" (or "error") under a job that is training on it
            return ApiProblems.Conflict("Dataset in use", "A training job of this dataset is queued or running; cancel it or wait for it to end, then validate again.")
                .ToProblemDetails();
        }

        return Refusal(dataset) ?? WolverineContinue.NoProblems;
    }

    [WolverinePost("/api/datasets/{id}/validate", OperationId = "RevalidateDataset"), Tags("Datasets")]
    [ProducesResponseType<ApiResponse<DatasetView>>(StatusCodes.Status202Accepted)]
    public static (IResult, Events, OutgoingMessages) Revalidate(
        Guid id, RevalidateDataset body, [WriteAggregate("id", Required = false)] Dataset? dataset, TimeProvider clock)
    {
        // "" parses as the default format: store the name it stands for
        DatasetFormats.TryParse(body.Format ?? dataset!.Format, out var format);
        var requested = Decide(dataset!, format!.Value.ToWireName(), body.MaxSequenceLength ?? dataset!.MaxSequenceLength, clock.GetUtcNow());
        return (ReadAfterCommit.Accepted<Dataset, DatasetView>(id, d => DatasetView.From(d)), [requested], [new ValidateDataset(id, requested.Run)]);
    }

    /// <summary>Why a dataset cannot be validated again now, or null when it can.</summary>
    public static ProblemDetails? Refusal(Dataset dataset) => dataset switch
    {
        { DeletedAt: not null } => ApiProblems.Conflict("Dataset deleted", "A deleted dataset cannot be validated again; upload it anew.").ToProblemDetails(),
        { PurgedAt: not null } => ApiProblems.Conflict("Dataset purged", "The dataset's file was removed; upload it anew.").ToProblemDetails(),
        { Status: DatasetStatus.Validating } => ApiProblems.Conflict("Validation in progress",
            "The dataset is being validated; wait for the result before asking again.", new { status = "validating" }).ToProblemDetails(),
        _ => null,
    };

    public static DatasetRevalidationRequested Decide(Dataset dataset, string format, int maxSequenceLength, DateTimeOffset now) =>
        new(dataset.Id, dataset.ValidationRun + 1, format, maxSequenceLength, now);
}
