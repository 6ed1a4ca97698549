using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Platform.Http;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Training.Jobs;

/// <summary>
/// The checks on a job's extras, with OpenAI's limits so that a request valid there is valid here:
/// a suffix of at most 64 characters, a non-negative 32-bit seed, at most 16 metadata pairs with keys of at
/// most 64 and values of at most 512 characters, and a validation dataset that is the caller's and ready.
/// </summary>
internal static class JobExtrasRules
{
    public const int MaxSuffixLength = 64;
    public const int MaxMetadataPairs = 16;
    public const int MaxMetadataKeyLength = 64;
    public const int MaxMetadataValueLength = 512;

    public static void Check(string? suffix, long? seed, IReadOnlyDictionary<string, string>? metadata, FieldErrors errors)
    {
        if (suffix is not null && (suffix.Length is 0 or > MaxSuffixLength || !suffix.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            errors.Add("suffix", $"must be 1 to {MaxSuffixLength} characters of letters, digits, '-', '_' or '.'");
        }

        if (seed is < 0 or > int.MaxValue)
        {
            errors.Add("seed", $"must be between 0 and {int.MaxValue}");
        }

        if (metadata is null)
        {
            return;
        }

        if (metadata.Count > MaxMetadataPairs)
        {
            errors.Add("metadata", $"may have at most {MaxMetadataPairs} pairs (got {metadata.Count})");
        }

        foreach (var (key, value) in metadata)
        {
            if (key.Length is 0 or > MaxMetadataKeyLength)
            {
                errors.Add("metadata", $"keys must be 1 to {MaxMetadataKeyLength} characters (\"{key[..Math.Min(key.Length, 80)]}\")");
            }

            if (value is null || value.Length > MaxMetadataValueLength)
            {
                errors.Add($"metadata.{key}", $"must be a string of at most {MaxMetadataValueLength} characters");
            }
        }
    }

    /// <summary>The validation dataset, checked: null without one, 404 when it is not the caller's, 400 when it cannot be read yet.</summary>
    public static async Task<DatasetForTraining?> FindValidationDatasetAsync(Guid userId, Guid? validationDatasetId, IDatasetCatalog datasets, CancellationToken ct)
    {
        if (validationDatasetId is not { } id)
        {
            return null;
        }

        var dataset = await datasets.FindAsync(userId, id, ct) ?? throw ApiProblems.NotFound("Validation dataset");
        if (dataset.Deleted || dataset.Status != "ready")
        {
            throw ApiProblems.BadRequest("Validation dataset not ready",
                $"The validation dataset must be validated and not deleted (its status is '{dataset.Status}'{(dataset.Deleted ? ", deleted" : "")}).");
        }

        return dataset;
    }

    public static JobExtras From(
        Guid? validationDatasetId, string? suffix, long? seed, IReadOnlyDictionary<string, string>? metadata, decimal? validationSplit = null) =>
        validationDatasetId is null && suffix is null && seed is null && metadata is not { Count: > 0 } && validationSplit is null
            ? JobExtras.None
            : new JobExtras(validationDatasetId, suffix, seed, metadata is { Count: > 0 } ? new Dictionary<string, string>(metadata) : null, validationSplit);
}
