using System.Text.Json;
using LoraPipeline.Artifacts.Contracts;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Platform.Http;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Webhooks.Dispatch;

/// <summary>
/// The body of a delivery: <c>{type, timestamp, data}</c>, <c>data</c> being the resource as the API shows it
/// (asked of its module through its published contract) when the event is dispatched, in the API's JSON.
/// </summary>
public sealed class WebhookPayloads(ITrainingJobs jobs, IModelCatalog models, IDatasetCatalog datasets)
{
    public async Task<string> BuildAsync(Guid userId, WebhookEvent e, DateTimeOffset timestamp, CancellationToken ct)
    {
        var data = e.Data ?? e.Kind switch
        {
            ResourceKind.Job => await jobs.FindViewAsync(userId, e.ResourceId, ct),
            ResourceKind.Model => await models.FindViewAsync(userId, e.ResourceId, ct),
            ResourceKind.Dataset => await datasets.FindViewAsync(userId, e.ResourceId, ct),
            _ => null,
        };
        return Serialize(e.Type, timestamp, data ?? new { id = e.ResourceId });
    }

    public static string Serialize(string type, DateTimeOffset timestamp, object data) =>
        JsonSerializer.Serialize(new Payload(type, timestamp, data), ApiJson.Options);

    private sealed record Payload(string Type, DateTimeOffset Timestamp, object Data);
}
