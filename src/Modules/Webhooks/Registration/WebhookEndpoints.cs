using System.Security.Claims;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Webhooks.Delivery;
using LoraPipeline.Webhooks.Dispatch;
using LoraPipeline.Webhooks.Secrets;
using Marten;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Http;

namespace LoraPipeline.Webhooks.Registration;

public static class CreateWebhookEndpoint
{
    /// <summary>Register an endpoint; the answer carries its signing secret, shown this once (stored encrypted).</summary>
    [WolverinePost("/api/webhooks", OperationId = "CreateWebhook"), Tags("Webhooks")]
    [ProducesResponseType<ApiResponse<WebhookWithSecret>>(StatusCodes.Status201Created)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public static async Task<IResult> Create(
        CreateWebhook body, IDocumentSession session, SigningSecrets secrets, IOptions<WebhookOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var errors = new FieldErrors();
        WebhookRules.CheckUrl(errors, body.Url, options.Value);
        var events = WebhookRules.CheckEvents(errors, body.Events);
        var description = WebhookRules.CheckDescription(errors, body.Description);
        if (errors.Any)
        {
            throw ApiProblems.Validation(errors);
        }

        var now = clock.GetUtcNow();
        var secret = SigningSecrets.NewSecret();
        var webhook = new Webhook
        {
            Id = Guid.CreateVersion7(),
            Url = body.Url!.Trim(),
            Events = events,
            Description = description,
            CreatedAt = now,
            UpdatedAt = now,
            Secrets = [new StoredSecret(secrets.Protect(secret), now, null)],
        };
        session.Insert(webhook);
        await session.SaveChangesAsync(ct);
        return Api.Created($"/api/webhooks/{webhook.Id}", new WebhookWithSecret(WebhookView.From(webhook, now), secret));
    }
}

public static class ListWebhooksEndpoint
{
    [WolverineGet("/api/webhooks", OperationId = "ListWebhooks"), Tags("Webhooks")]
    public static async Task<ApiResponse<IReadOnlyList<WebhookView>>> List(IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        var webhooks = await session.Query<Webhook>().OrderBy(w => w.CreatedAt).ToListAsync(ct);
        var now = clock.GetUtcNow();
        return Api.Ok<IReadOnlyList<WebhookView>>(webhooks.Select(w => WebhookView.From(w, now)).ToList());
    }
}

public static class GetWebhookEndpoint
{
    [WolverineGet("/api/webhooks/{id}", OperationId = "GetWebhook"), Tags("Webhooks")]
    public static async Task<ApiResponse<WebhookView>> Get(Guid id, IQuerySession session, TimeProvider clock, CancellationToken ct) =>
        Api.Ok(WebhookView.From(await WebhookLookup.FindAsync(session, id, ct), clock.GetUtcNow()));
}

public static class UpdateWebhookEndpoint
{
    [WolverinePatch("/api/webhooks/{id}", OperationId = "UpdateWebhook"), Tags("Webhooks")]
    public static async Task<ApiResponse<WebhookView>> Update(
        Guid id, UpdateWebhook body, IDocumentSession session, IOptions<WebhookOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var webhook = await WebhookLookup.FindAsync(session, id, ct);
        var errors = new FieldErrors();
        if (body.Url is not null)
        {
            WebhookRules.CheckUrl(errors, body.Url, options.Value);
        }

        var events = body.Events is null ? webhook.Events : WebhookRules.CheckEvents(errors, body.Events);
        var description = body.Description is null ? webhook.Description : WebhookRules.CheckDescription(errors, body.Description);
        if (errors.Any)
        {
            throw ApiProblems.Validation(errors);
        }

        var now = clock.GetUtcNow();
        webhook.Url = body.Url?.Trim() ?? webhook.Url;
        webhook.Events = events;
        webhook.Description = description;
        if (body.Enabled is { } enabled && enabled != webhook.Enabled)
        {
            webhook.Enabled = enabled;
            webhook.DisabledReason = enabled ? null : "Disabled by its user.";
            webhook.FailingSince = null;
        }

        webhook.UpdatedAt = now;
        session.Store(webhook);
        await session.SaveChangesAsync(ct);
        return Api.Ok(WebhookView.From(webhook, now));
    }
}

public static class DeleteWebhookEndpoint
{
    /// <summary>Deletes the endpoint and its delivery log; deliveries still pending are dropped.</summary>
    [WolverineDelete("/api/webhooks/{id}", OperationId = "DeleteWebhook"), Tags("Webhooks")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    public static async Task<IResult> Delete(Guid id, IDocumentSession session, CancellationToken ct)
    {
        await WebhookLookup.FindAsync(session, id, ct);
        session.Delete<Webhook>(id);
        session.DeleteWhere<WebhookDelivery>(d => d.WebhookId == id);
        await session.SaveChangesAsync(ct);
        return Results.NoContent();
    }
}

public static class RotateWebhookSecretEndpoint
{
    /// <summary>
    /// A new secret, shown once. Deliveries are signed with both the new and the previous secret for
    /// Webhooks:RotationOverlap (24 h), so receivers can switch without losing one; older secrets stop at once.
    /// </summary>
    [WolverinePost("/api/webhooks/{id}/rotate-secret", OperationId = "RotateWebhookSecret"), Tags("Webhooks")]
    public static async Task<ApiResponse<WebhookWithSecret>> Rotate(
        Guid id, IDocumentSession session, SigningSecrets secrets, IOptions<WebhookOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var webhook = await WebhookLookup.FindAsync(session, id, ct);
        var now = clock.GetUtcNow();
        var secret = SigningSecrets.NewSecret();
        var previous = webhook.SecretsValidAt(now).FirstOrDefault();
        webhook.Secrets =
        [
            new StoredSecret(secrets.Protect(secret), now, null),
            .. previous is null ? Array.Empty<StoredSecret>() : [previous with { ExpiresAt = now + options.Value.RotationOverlap }],
        ];
        webhook.UpdatedAt = now;
        session.Store(webhook);
        await session.SaveChangesAsync(ct);
        return Api.Ok(new WebhookWithSecret(WebhookView.From(webhook, now), secret));
    }
}

public static class TestWebhookEndpoint
{
    /// <summary>Sends a <c>webhook.test</c> event (whatever the filter) and answers its delivery (202); see its outcome in the log.</summary>
    [WolverinePost("/api/webhooks/{id}/test", OperationId = "TestWebhook"), Tags("Webhooks")]
    [ProducesResponseType<ApiResponse<DeliveryView>>(StatusCodes.Status202Accepted)]
    public static async Task<IResult> Test(Guid id, ClaimsPrincipal caller, IDocumentSession session, IMessageBus bus, TimeProvider clock, CancellationToken ct)
    {
        var webhook = await WebhookLookup.FindAsync(session, id, ct);
        if (!webhook.Enabled)
        {
            throw ApiProblems.Conflict("Webhook disabled", "The webhook is disabled; enable it (PATCH with {\"enabled\": true}) before testing it.");
        }

        var now = clock.GetUtcNow();
        var deliveryId = Guid.CreateVersion7();
        var delivery = new WebhookDelivery
        {
            Id = deliveryId,
            WebhookId = id,
            MessageId = WebhookDelivery.MessageIdFor(deliveryId),
            EventType = WebhookEventTypes.Test,
            Subject = $"test:{deliveryId}",
            Payload = WebhookPayloads.Serialize(WebhookEventTypes.Test, now, WebhookView.From(webhook, now)),
            Status = DeliveryStatus.Pending,
            CreatedAt = now,
            RetryFrom = now,
        };
        session.Insert(delivery);
        await bus.SendAsync(new DeliverWebhook(deliveryId, 1), new DeliveryOptions { TenantId = Caller.TenantOf(caller.UserId()) });
        await session.SaveChangesAsync(ct);
        return Api.Accepted(DeliveryView.From(delivery));
    }
}

internal static class WebhookLookup
{
    public static async Task<Webhook> FindAsync(IQuerySession session, Guid id, CancellationToken ct) =>
        await session.LoadAsync<Webhook>(id, ct) ?? throw ApiProblems.NotFound("Webhook");
}
