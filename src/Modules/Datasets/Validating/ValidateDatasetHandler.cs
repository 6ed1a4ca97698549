using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Datasets.Model;
using LoraPipeline.Datasets.Validation;
using Marten;
using IMessageBus = Wolverine.IMessageBus;
using Wolverine.Attributes;
using Wolverine.Runtime.Handlers;

namespace LoraPipeline.Datasets.Validating;

/// <summary>
/// Runs a validation in the background and records its outcome on the dataset's stream. Delivery
/// is at least once: a run that is no longer the dataset's current one, or already recorded, is
/// ignored, so a redelivered message changes nothing.
/// </summary>
[LocalQueue(QueueName)]
public static class ValidateDatasetHandler
{
    public const string QueueName = "dataset-validation";

    /// <summary>A 500 MB file takes tens of seconds; the default message timeout is too short.</summary>
    public static void Configure(HandlerChain chain) => chain.ExecutionTimeoutInSeconds = 3600;

    public static async Task Handle(
        ValidateDataset command, IDocumentSession session, IDocumentStore store, IMessageBus bus, StoredDatasetValidator validator,
        TimeProvider clock, CancellationToken ct)
    {
        var dataset = await session.LoadAsync<Dataset>(command.DatasetId, ct);
        if (!IsPending(dataset, command.Run))
        {
            return;
        }

        if (await FairShare.MustWaitAsync(session, store, dataset!, command.Deferrals, ct))
        {
            await bus.PublishAsync(command with { Deferrals = command.Deferrals + 1 }); // behind the other user's, which waits longer
            return;
        }

        var outcome = await validator.ValidateAsync(dataset!, session.TenantId, ct);

        var stream = await session.Events.FetchForWriting<Dataset>(command.DatasetId, ct);
        if (!IsPending(stream.Aggregate, command.Run))
        {
            return; // a newer run was requested while this one ran
        }

        stream.AppendMany(Decide(stream.Aggregate!, command.Run, outcome, validator.Tokenizer, clock.GetUtcNow()));
        session.Delete<DatasetValidationProgress>(command.DatasetId);
    }

    /// <summary>The events a finished validation run leaves on the stream.</summary>
    public static object[] Decide(Dataset dataset, int run, ValidationOutcome outcome, string tokenizer, DateTimeOffset now) =>
        outcome.IsValid
            ?
            [
                new DatasetValidated(dataset.Id, run, outcome, tokenizer, now),
                new DatasetReady(dataset.Id, dataset.Name, outcome.Statistics.TotalTrainingPairs, outcome.Statistics.TotalTokens, now),
            ]
            :
            [
                new DatasetValidationFailed(dataset.Id, run, outcome, tokenizer, now),
                new DatasetFailed(dataset.Id, dataset.Name, outcome.TotalErrors, now),
            ];

    private static bool IsPending(Dataset? dataset, int run) =>
        dataset is { Status: DatasetStatus.Validating } && dataset.ValidationRun == run;
}
