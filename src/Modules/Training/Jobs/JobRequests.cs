using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Platform.Http;
using LoraPipeline.Training.Configuration;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Training.Jobs;

/// <summary>
/// E03's estimate body. Hyperparameters left out come from the preset (custom when none); <c>validation_split</c> is
/// the job's automatic split (see <see cref="ValidationSplit"/>), counted as validation examples;
/// <c>validation_dataset_id</c> is the job's validation set (all its examples count as validation examples).
/// </summary>
public sealed record EstimateRequest(
    Guid? DatasetId, string? PresetId, GpuInput? GpuConfig, HyperparameterInput? Hyperparameters, decimal? ValidationSplit = null,
    Guid? ValidationDatasetId = null);

/// <summary>E03's create body. A client's own <c>estimated_cost</c> is accepted and ignored: we compute it.</summary>
public sealed record CreateJobRequest(
    Guid? DatasetId, string? PresetId, GpuInput? GpuConfig, HyperparameterInput? Hyperparameters, decimal? EstimatedCost,
    Guid? ValidationDatasetId = null, string? Suffix = null, long? Seed = null, Dictionary<string, string>? Metadata = null,
    decimal? ValidationSplit = null);

/// <summary>A request checked against the rules and the user's dataset: everything a job needs.</summary>
public sealed record ResolvedJobRequest(
    DatasetForTraining Dataset, string PresetId, Hyperparameters Hyperparameters, GpuConfig Gpu, GpuType GpuType, CostEstimate Estimate)
{
    /// <summary>What the request asked for, so a reused idempotency key with another request is noticed.</summary>
    public string Fingerprint()
    {
        var canonical = JsonSerializer.Serialize(new { dataset = Dataset.Id, preset = PresetId, Hyperparameters, Gpu });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}

/// <summary>The checks estimate and create share: 400 with every field problem, 404 for a dataset that is not the caller's, 400 when it is not ready.</summary>
internal static class JobRequestResolver
{
    public static async Task<ResolvedJobRequest> ResolveAsync(
        Guid userId, Guid? datasetId, string? presetId, GpuInput? gpu, HyperparameterInput? hyperparameters,
        IDatasetCatalog datasets, GpuCatalogueOptions catalogue, TrainingOptions training, CancellationToken ct, decimal? validationSplit = null,
        Guid? validationDatasetId = null)
    {
        var preset = presetId ?? Presets.Custom;
        var (resolved, gpuConfig, errors) = TrainingConfigurationRules.Resolve(preset, hyperparameters, gpu, catalogue, training.OfferedBaseModels);
        if (datasetId is null || datasetId == Guid.Empty)
        {
            errors.Add("dataset_id", "is required");
        }

        CheckValidationSplit(validationSplit, errors);
        if (validationDatasetId == Guid.Empty)
        {
            errors.Add("validation_dataset_id", "must be a dataset id");
        }
        else if (validationDatasetId is not null && validationDatasetId == datasetId)
        {
            errors.Add("validation_dataset_id", "must be another dataset than the training dataset (or hold out part of the training dataset with validation_split)");
        }

        if (errors.Any)
        {
            throw ApiProblems.Validation(errors);
        }

        var dataset = await datasets.FindAsync(userId, datasetId!.Value, ct);
        if (dataset is null)
        {
            throw ApiProblems.NotFound("Dataset");
        }

        if (dataset.NotReadyReason is { } reason)
        {
            throw ApiProblems.BadRequest("Dataset not ready for training", reason);
        }

        var validationSet = await JobExtrasRules.FindValidationDatasetAsync(userId, validationDatasetId, datasets, ct);
        var gpuType = catalogue.Find(gpuConfig!.GpuType)!;
        var figures = new DatasetFigures(
            dataset.Name, (int)Math.Min(dataset.TotalTrainingPairs, int.MaxValue), dataset.TotalTokens, dataset.BillableTokens,
            dataset.TotalValidationPairs, dataset.MaxSequenceLength);
        var estimate = CostEstimator.Estimate(
            new EstimateInput(figures, resolved!.BatchSize, resolved.NumEpochs, gpuType, gpuConfig.NumGpus, resolved.BaseModel, validationSplit,
                validationSet is null ? 0 : validationSet.TotalTrainingPairs + validationSet.TotalValidationPairs));
        return new ResolvedJobRequest(dataset, preset, resolved, gpuConfig, gpuType, estimate);
    }

    public static void CheckValidationSplit(decimal? validationSplit, FieldErrors errors)
    {
        if (validationSplit is { } split && split is < ValidationSplit.Min or > ValidationSplit.Max)
        {
            errors.Add("validation_split", $"must be between {ValidationSplit.Min} and {ValidationSplit.Max} (a share of the training examples, e.g. 0.1), or left out");
        }
    }
}
