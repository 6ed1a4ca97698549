namespace LoraPipeline.Webhooks.Contracts;

/// <summary>
/// Published fact, on the webhook's stream: every delivery to the endpoint failed for Webhooks:DisableAfter, so it
/// was disabled; nothing more is sent until its user enables it again (<c>PATCH /api/webhooks/{id}</c>).
/// </summary>
public sealed record WebhookDisabled(Guid WebhookId, Guid UserId, string Url, string Reason, DateTimeOffset At);
