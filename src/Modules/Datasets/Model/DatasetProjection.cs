using System.Text.Json;
using JasperFx.Events;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Datasets.Deleting;
using LoraPipeline.Datasets.Uploading;
using LoraPipeline.Datasets.Validating;
using LoraPipeline.Datasets.Validation;
using Marten.Events.Aggregation;

namespace LoraPipeline.Datasets.Model;

/// <summary>Builds <see cref="Dataset"/> from its stream, in the same transaction as the events.</summary>
public sealed partial class DatasetProjection : SingleStreamProjection<Dataset, Guid>
{
    public Dataset Create(DatasetUploaded e, IEvent meta) => new()
    {
        Id = e.DatasetId,
        UserId = e.UserId,
        Name = e.Name,
        Description = e.Description,
        Format = e.Format,
        Status = DatasetStatus.Validating,
        StoragePath = e.StoragePath,
        FileName = e.FileName,
        FileSize = e.FileSize,
        FileSha256 = e.FileSha256,
        MaxSequenceLength = e.MaxSequenceLength,
        ValidationRun = 1,
        CreatedAt = e.UploadedAt,
        UpdatedAt = meta.Timestamp,
    };

    public void Apply(DatasetRevalidationRequested e, Dataset dataset)
    {
        dataset.Status = DatasetStatus.Validating;
        dataset.TrainingReady = false;
        dataset.Format = e.Format;
        dataset.MaxSequenceLength = e.MaxSequenceLength;
        dataset.ValidationRun = e.Run;
        dataset.UpdatedAt = e.RequestedAt;
    }

    public void Apply(DatasetValidated e, Dataset dataset)
    {
        Record(dataset, e.Outcome, e.Tokenizer, e.ValidatedAt);
        dataset.Status = DatasetStatus.Ready;
        dataset.TrainingReady = true;
    }

    public void Apply(DatasetValidationFailed e, Dataset dataset)
    {
        Record(dataset, e.Outcome, e.Tokenizer, e.ValidatedAt);
        dataset.Status = DatasetStatus.Error;
        dataset.TrainingReady = false;
    }

    public void Apply(DatasetReady e, Dataset dataset) => dataset.UpdatedAt = e.ValidatedAt;

    public void Apply(DatasetFailed e, Dataset dataset) => dataset.UpdatedAt = e.ValidatedAt;

    public void Apply(DatasetPurged e, Dataset dataset)
    {
        dataset.PurgedAt = e.PurgedAt;
        dataset.UpdatedAt = e.PurgedAt;
    }

    public void Apply(DatasetDeleted e, Dataset dataset)
    {
        dataset.DeletedAt = e.DeletedAt;
        dataset.UpdatedAt = e.DeletedAt;
    }

    private static void Record(Dataset dataset, ValidationOutcome outcome, string tokenizer, DateTimeOffset at)
    {
        var statistics = outcome.Statistics;
        dataset.TotalTrainingPairs = statistics.TotalTrainingPairs;
        dataset.TotalValidationPairs = statistics.TotalValidationPairs;
        dataset.TotalTokens = statistics.TotalTokens;
        dataset.AvgTurnsPerConversation = statistics.AvgTurnsPerConversation;
        dataset.AvgTokensPerTurn = statistics.AvgTokensPerTurn;
        dataset.ValidationReport = statistics.ValidationReport;
        dataset.SampleData = statistics.SampleData.Select(ParseSample).ToList();
        dataset.ValidationErrors = outcome.FirstErrors.ToList();
        dataset.ErrorCount = outcome.TotalErrors;
        dataset.ErrorsListed = outcome.ErrorsListed;
        dataset.ErrorCounts = new Dictionary<string, long>(outcome.ErrorCountsByCode);
        dataset.Warnings = outcome.FirstWarnings.ToList();
        dataset.WarningCount = outcome.TotalWarnings;
        dataset.WarningCounts = new Dictionary<string, long>(outcome.WarningCountsByCode);
        dataset.Tokenizer = tokenizer;
        dataset.ValidatedAt = at;
        dataset.UpdatedAt = at;
    }

    private static JsonElement ParseSample(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }
}
