using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Platform.Http;
using LoraPipeline.Training.Configuration;
using LoraPipeline.Training.Contracts;
using Marten;

namespace LoraPipeline.Training.Jobs;

/// <summary>A create request checked in full: the configuration, its extras and what identifies it for idempotency.</summary>
internal sealed record JobOrder(ResolvedJobRequest Request, JobExtras Extras)
{
    public string Fingerprint => Extras == JobExtras.None
        ? Request.Fingerprint()
        : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Request.Fingerprint() + JsonSerializer.Serialize(Extras))));
}

/// <summary>
/// The steps of a create that the native endpoint and <see cref="ITrainingJobCommands"/> share: check the request
/// (400 with every field problem, 404 for a dataset that is not the caller's), then admit it against the budget (402).
/// </summary>
internal static class JobOrders
{
    public static async Task<JobOrder> ResolveAsync(
        Guid userId, CreateJobRequest body, IDatasetCatalog datasets, GpuCatalogueOptions catalogue, TrainingOptions training, CancellationToken ct)
    {
        var errors = new FieldErrors();
        JobExtrasRules.Check(body.Suffix, body.Seed, body.Metadata, errors);
        if (errors.Any)
        {
            throw ApiProblems.Validation(errors);
        }

        var request = await JobRequestResolver.ResolveAsync(
            userId, body.DatasetId, body.PresetId, body.GpuConfig, body.Hyperparameters, datasets, catalogue, training, ct, body.ValidationSplit,
            body.ValidationDatasetId);
        return new JobOrder(request, JobExtrasRules.From(body.ValidationDatasetId, body.Suffix, body.Seed, body.Metadata, body.ValidationSplit));
    }

    public static async Task<TrainingJobQueued> AdmitAsync(
        Guid userId, Guid jobId, JobOrder order, string? key, IQuerySession session, TrainingOptions limits, IJobAdmission admission,
        DateTimeOffset now, CancellationToken ct)
    {
        var request = order.Request;
        await ActiveJobLimit.CheckAsync(session, limits.MaxActiveJobsPerUser, ct);
        if (await admission.RefuseAsync(userId, request.Estimate.EstimatedCost, ct) is { } refusal)
        {
            throw new ApiProblemException(StatusCodes.Status402PaymentRequired, "Budget limit reached", refusal);
        }

        return new TrainingJobQueued(
            jobId, userId, request.Dataset.Id, request.Dataset.Name, request.Dataset.Format, request.Dataset.TotalTrainingPairs,
            request.PresetId, request.Hyperparameters, request.Gpu, request.Estimate.TrainingDetails.TotalSteps,
            request.Estimate.EstimatedCost, request.Estimate.EstimatedDurationHours, key, order.Fingerprint, now, request.Dataset.TotalTokens,
            order.Extras == JobExtras.None ? null : order.Extras);
    }
}
