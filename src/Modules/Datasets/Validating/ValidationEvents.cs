using LoraPipeline.Datasets.Validation;

namespace LoraPipeline.Datasets.Validating;

/// <summary>
/// Validate run <paramref name="Run"/> of a dataset (started by an upload or a revalidation); <paramref name="Deferrals"/>
/// counts how often it went back in the queue to let another user's dataset go first (<see cref="FairShare"/>).
/// </summary>
public sealed record ValidateDataset(Guid DatasetId, int Run, int Deferrals = 0);

/// <summary>The user asked to validate again, after changing the format or the maximum length.</summary>
public sealed record DatasetRevalidationRequested(Guid DatasetId, int Run, string Format, int MaxSequenceLength, DateTimeOffset RequestedAt);

/// <summary>Validation found no error: the statistics, the warnings, and the tokenizer used.</summary>
public sealed record DatasetValidated(Guid DatasetId, int Run, ValidationOutcome Outcome, string Tokenizer, DateTimeOffset ValidatedAt);

/// <summary>Validation found errors: the first ones, the counts by type, the statistics of the valid lines.</summary>
public sealed record DatasetValidationFailed(Guid DatasetId, int Run, ValidationOutcome Outcome, string Tokenizer, DateTimeOffset ValidatedAt);
