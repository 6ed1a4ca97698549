using System.Text.Json;
using LoraPipeline.Artifacts.Contracts;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Platform.Http;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Webhooks.Dispatch;

/// <summary>What a payload is built from: the event's user, what it is to a webhook, and its time in the event store.</summary>
public sealed record PayloadSource(Guid UserId, WebhookEvent Event, DateTimeOffset Timestamp);

/// <summary>
/// The body of a delivery: <c>{type, timestamp, data}</c>, <c>data</c> being the resource as the API shows it
/// (asked of its module through its published contract) when the event is dispatched, in the API's JSON.
/// </summary>
public sealed class WebhookPayloads(ITrainingJobs jobs, IModelCatalog models, IDatasetCatalog datasets)
{
    /// <summary>
    /// The bodies of a page of events, in its order. Job events are nearly all of them (thousands of running
    /// jobs), so their jobs are read in one query per user; models and datasets change rarely and are read one by one.
    /// </summary>
    public async Task<string[]> BuildAsync(IReadOnlyList<PayloadSource> sources, CancellationToken ct)
    {
        var jobViews = new Dictionary<Guid, object>();
        foreach (var user in sources.Where(s => s.Event is { Kind: ResourceKind.Job, Data: null }).GroupBy(s => s.UserId))
        {
            foreach (var (id, view) in await jobs.FindViewsAsync(user.Key, user.Select(s => s.Event.ResourceId).ToList(), ct))
            {
                jobViews[id] = view;
            }
        }

        var bodies = new string[sources.Count];
        for (var i = 0; i < sources.Count; i++)
        {
            var (userId, e, timestamp) = sources[i];
            var data = e.Data ?? e.Kind switch
            {
                ResourceKind.Job => jobViews.GetValueOrDefault(e.ResourceId),
                ResourceKind.Model => await models.FindViewAsync(userId, e.ResourceId, ct),
                ResourceKind.Dataset => await datasets.FindViewAsync(userId, e.ResourceId, ct),
                _ => null,
            };
            bodies[i] = Serialize(e.Type, timestamp, data ?? new { id = e.ResourceId });
        }

        return bodies;
    }

    public static string Serialize(string type, DateTimeOffset timestamp, object data) =>
        JsonSerializer.Serialize(new Payload(type, timestamp, data), ApiJson.Options);

    private sealed record Payload(string Type, DateTimeOffset Timestamp, object Data);
}
