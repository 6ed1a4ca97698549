using LoraPipeline.Webhooks.Registration;
using LoraPipeline.Webhooks.Secrets;
using Marten;
using Marten.Patching;
using JasperFx;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wolverine;

namespace LoraPipeline.Webhooks.Delivery;

/// <summary>
/// One attempt of one delivery. In order per subject: a delivery waits while an earlier one of its subject is
/// pending, and each delivery that ends wakes the next. Failures are retried with back-off (durable scheduled
/// messages) until Webhooks:RetryFor has passed since the event; an endpoint failing for Webhooks:DisableAfter is
/// disabled. The attempt's outcome and its follow-up messages commit together (the outbox).
/// </summary>
public static class DeliverWebhookHandler
{
    /// <summary>How long an attempt holds its delivery: the request time-out and a margin.</summary>
    private static readonly TimeSpan ClaimMargin = TimeSpan.FromSeconds(5);

    public static async Task Handle(
        DeliverWebhook message, IDocumentSession session, IDocumentStore store, IMessageContext bus, WebhookSender sender,
        SigningSecrets secrets, IOptions<WebhookOptions> options, TimeProvider clock, ILogger<WebhookSender> log, CancellationToken ct)
    {
        var settings = options.Value;
        var delivery = await session.LoadAsync<WebhookDelivery>(message.DeliveryId, ct);
        if (delivery is not { Status: DeliveryStatus.Pending } || message.Attempt != delivery.Attempts + 1)
        {
            return; // ended already, or a message for an attempt that has been made
        }

        var now = clock.GetUtcNow();
        var webhook = await session.LoadAsync<Webhook>(delivery.WebhookId, ct);
        if (webhook is not { Enabled: true })
        {
            delivery.Status = DeliveryStatus.Cancelled;
            delivery.Error = webhook is null ? "The webhook was deleted." : "The webhook is disabled.";
            session.Store(delivery);
            await WakeNextAsync(session, bus, delivery, ct);
            return;
        }

        if (delivery.EventType != Dispatch.WebhookEventTypes.Test && await EarlierPendingAsync(session, delivery, ct) is { } earlier)
        {
            // the earlier one wakes this one when it ends; the recheck covers a wake-up sent before this delivery existed
            var recheck = (earlier.NextAttemptAt is { } next && next > now ? next - now : TimeSpan.Zero) + settings.RequestTimeout + ClaimMargin;
            await bus.ScheduleAsync(message, recheck);
            return;
        }

        if (delivery.ClaimedUntil is { } claimed && claimed > now)
        {
            // another attempt is in flight (or its node died mid-request): look again when its claim runs out
            await bus.ScheduleAsync(message, claimed - now + TimeSpan.FromSeconds(1));
            return;
        }

        if (await ClaimAsync(store, session.TenantId, delivery, now + settings.RequestTimeout + ClaimMargin, ct) is not { } current)
        {
            return; // a concurrent duplicate claimed it first
        }

        var keys = webhook.SecretsValidAt(now).Select(s => secrets.Unprotect(s.Encrypted)).ToList();
        var result = await sender.SendAsync(webhook.Url, delivery.MessageId, delivery.Payload, keys, ct);
        now = clock.GetUtcNow();

        current.Attempts = message.Attempt;
        current.LastAttemptAt = now;
        current.ResponseCode = result.ResponseCode;
        current.DurationMs = result.DurationMs;
        current.ResponseExcerpt = result.ResponseExcerpt;
        current.Error = result.Error;
        current.ClaimedUntil = null;
        log.LogInformation("Webhook delivery {DeliveryId} ({EventType}) attempt {Attempt}: {Outcome} {Code} in {Ms} ms",
            current.Id, current.EventType, current.Attempts, result.Succeeded ? "delivered" : "failed", result.ResponseCode, result.DurationMs);

        if (result.Succeeded)
        {
            current.Status = DeliveryStatus.Succeeded;
            current.DeliveredAt = now;
            current.NextAttemptAt = null;
            if (webhook.FailingSince is not null)
            {
                session.Patch<Webhook>(webhook.Id).Set(w => w.FailingSince, null);
            }

            session.Store(current);
            await WakeNextAsync(session, bus, current, ct);
            return;
        }

        // patched field by field: a user's edit of the webhook at the same moment is kept
        var failingSince = webhook.FailingSince ?? now;
        if (webhook.FailingSince is null)
        {
            session.Patch<Webhook>(webhook.Id).Set(w => w.FailingSince, now);
        }

        var disabled = now - failingSince >= settings.DisableAfter;
        if (disabled)
        {
            var reason = $"Every delivery failed for {settings.DisableAfter.TotalHours:0.#} hours (last: {result.Error})";
            session.Patch<Webhook>(webhook.Id).Set(w => w.Enabled, false);
            session.Patch<Webhook>(webhook.Id).Set(w => w.DisabledReason, reason);
            session.Patch<Webhook>(webhook.Id).Set(w => w.UpdatedAt, now);
            session.Events.Append(webhook.Id, new Contracts.WebhookDisabled(webhook.Id, Platform.Identity.Caller.UserOf(session.TenantId), webhook.Url, reason, now));
        }

        if (!disabled && now - current.RetryFrom < settings.RetryFor)
        {
            var delay = settings.DelayBefore(current.Attempts);
            current.NextAttemptAt = now + delay;
            session.Store(current);
            await bus.ScheduleAsync(new DeliverWebhook(current.Id, current.Attempts + 1), delay);
            return;
        }

        current.Status = DeliveryStatus.Failed;
        current.NextAttemptAt = null;
        session.Store(current);
        await WakeNextAsync(session, bus, current, ct);
    }

    private static async Task<WebhookDelivery?> EarlierPendingAsync(IDocumentSession session, WebhookDelivery delivery, CancellationToken ct) =>
        await session.Query<WebhookDelivery>()
            .Where(d => d.WebhookId == delivery.WebhookId && d.Subject == delivery.Subject && d.Sequence < delivery.Sequence && d.Status == DeliveryStatus.Pending)
            .OrderBy(d => d.Sequence)
            .FirstOrDefaultAsync(ct);

    /// <summary>The next pending delivery of the subject, if it has not been attempted yet, is sent now.</summary>
    private static async Task WakeNextAsync(IDocumentSession session, IMessageContext bus, WebhookDelivery ended, CancellationToken ct)
    {
        var next = await session.Query<WebhookDelivery>()
            .Where(d => d.WebhookId == ended.WebhookId && d.Subject == ended.Subject && d.Sequence > ended.Sequence && d.Status == DeliveryStatus.Pending)
            .OrderBy(d => d.Sequence)
            .FirstOrDefaultAsync(ct);
        if (next is { Attempts: 0 })
        {
            await bus.SendAsync(new DeliverWebhook(next.Id, 1));
        }
    }

    /// <summary>
    /// Marks the attempt in flight in its own transaction; null when another writer changed the delivery since it was
    /// read (an update checked against the version read, so no second read is needed).
    /// </summary>
    private static async Task<WebhookDelivery?> ClaimAsync(IDocumentStore store, string tenant, WebhookDelivery delivery, DateTimeOffset until, CancellationToken ct)
    {
        await using var claim = store.LightweightSession(tenant);
        delivery.ClaimedUntil = until;
        claim.UpdateExpectedVersion(delivery, delivery.Version);
        try
        {
            await claim.SaveChangesAsync(ct);
            return delivery; // carries the claim's version: the outcome is stored over exactly this
        }
        catch (ConcurrencyException)
        {
            return null;
        }
    }
}
