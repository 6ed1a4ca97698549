using LoraPipeline.Billing.Contracts;

namespace LoraPipeline.Webhooks.Contracts;

/// <summary>
/// Published fact, on the webhook's stream: every delivery to the endpoint failed for Webhooks:DisableAfter, so it
/// was disabled; nothing more is sent until its user enables it again (<c>PATCH /api/webhooks/{id}</c>). The inbox
/// tells the user (<see cref="IUserNotification"/>).
/// </summary>
public sealed record WebhookDisabled(Guid WebhookId, Guid UserId, string Url, string Reason, DateTimeOffset At) : IUserNotification
{
    public string NotificationType => "webhook_disabled";

    public string Title => "Webhook Disabled";

    public string Message => $"Deliveries to {Url} failed for a day, so the webhook was disabled: {Reason}. Fix the endpoint, then enable it again.";

    public string Priority => "high";

    public string? ActionUrl => "/webhooks";
}
