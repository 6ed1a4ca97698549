using JasperFx.Metadata;

namespace LoraPipeline.Webhooks.Delivery;

public enum DeliveryStatus
{
    Pending,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>
/// One event for one endpoint. Its id is derived from the endpoint and the event, so a replayed event makes no
/// second delivery; <see cref="MessageId"/> is the <c>webhook-id</c> header, the same on every attempt.
/// Deliveries of one <see cref="Subject"/> go out in <see cref="Sequence"/> order (the event's global sequence).
/// </summary>
public sealed class WebhookDelivery : IVersioned
{
    public Guid Id { get; set; }
    public Guid WebhookId { get; set; }
    public string MessageId { get; set; } = "";
    public string EventType { get; set; } = "";
    public string Subject { get; set; } = "";
    public long Sequence { get; set; }
    public string Payload { get; set; } = "";
    public DeliveryStatus Status { get; set; }
    public int Attempts { get; set; }
    public int? ResponseCode { get; set; }
    public long? DurationMs { get; set; }
    public string? ResponseExcerpt { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the dispatch made the delivery (the event's time is <see cref="CreatedAt"/>): the subscription's lag is the difference.</summary>
    public DateTimeOffset? DispatchedAt { get; set; }

    /// <summary>Retries run for Webhooks:RetryFor from here: the event's time, or a manual retry's.</summary>
    public DateTimeOffset RetryFrom { get; set; }
    public DateTimeOffset? LastAttemptAt { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>An attempt in flight holds the delivery until then, so a duplicate message does not send it twice.</summary>
    public DateTimeOffset? ClaimedUntil { get; set; }

    public Guid Version { get; set; }

    public static string MessageIdFor(Guid deliveryId) => "msg_" + deliveryId.ToString("N");
}

/// <summary>Attempt <paramref name="Attempt"/> of a delivery (1 for the first): retries and wake-ups carry the number they are for.</summary>
public sealed record DeliverWebhook(Guid DeliveryId, int Attempt);

/// <summary>A delivery as <c>GET /api/webhooks/{id}/deliveries</c> shows it.</summary>
public sealed record DeliveryView(
    Guid Id, string WebhookMessageId, string EventType, string Status, int Attempts, int? ResponseCode, long? DurationMs,
    string? ResponseExcerpt, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? LastAttemptAt, DateTimeOffset? NextAttemptAt,
    DateTimeOffset? DeliveredAt)
{
    public static DeliveryView From(WebhookDelivery d) => new(
        d.Id, d.MessageId, d.EventType, d.Status.ToString().ToLowerInvariant(), d.Attempts, d.ResponseCode, d.DurationMs,
        d.ResponseExcerpt, d.Error, d.CreatedAt, d.LastAttemptAt, d.Status == DeliveryStatus.Pending ? d.NextAttemptAt : null, d.DeliveredAt);
}
