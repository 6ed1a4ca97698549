using LoraPipeline.Platform.Storage;

namespace LoraPipeline.Datasets.Contracts;

/// <summary>
/// What another module may ask about a dataset: whether this user has it, whether it is ready,
/// its figures and where its file is. Training uses it instead of reading Datasets' documents.
/// </summary>
public interface IDatasetCatalog
{
    /// <summary>The user's dataset (deleted ones included: jobs that used it still read it), or null.</summary>
    Task<DatasetForTraining?> FindAsync(Guid userId, Guid datasetId, CancellationToken ct);

    /// <summary>The dataset as <c>GET /api/datasets/{id}</c> shows it (for payloads that carry the API's shapes), or null.</summary>
    Task<object?> FindViewAsync(Guid userId, Guid datasetId, CancellationToken ct);
}

public sealed record DatasetForTraining(
    Guid Id,
    string Name,
    string Format,
    string Status,
    bool TrainingReady,
    long TotalTrainingPairs,
    long TotalValidationPairs,
    long TotalTokens,
    long BillableTokens,
    int MaxSequenceLength,
    BlobLocation File,
    bool Deleted)
{
    /// <summary>Why it cannot be trained on, in words a user can act on; null when it can.</summary>
    public string? NotReadyReason => (Status, TrainingReady, Deleted) switch
    {
        (_, _, true) => "The dataset was deleted.",
        ("ready", true, _) when TotalTrainingPairs == 0 =>
            "The dataset has no training examples (every example is in the validation split); add examples without \"split\": \"validation\".",
        ("ready", true, _) => null,
        ("validating", _, _) => "The dataset is still being validated; try again when its status is 'ready'.",
        ("error", _, _) => "The dataset failed validation; fix the errors listed at GET /api/datasets/{id}/errors and upload it again.",
        _ => $"The dataset is not ready for training (status '{Status}').",
    };
}

/// <summary>
/// Datasets asks whoever trains on datasets whether a dataset is in use before deleting it. The
/// Training module implements it; without an implementation nothing is in use.
/// </summary>
public interface IDatasetUsage
{
    Task<bool> HasActiveJobsAsync(Guid userId, Guid datasetId, CancellationToken ct);
}
