using System.Security.Claims;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Webhooks.Registration;
using Marten;
using Marten.Pagination;
using Microsoft.AspNetCore.Http;
using Wolverine;
using Wolverine.Http;

namespace LoraPipeline.Webhooks.Delivery;

public sealed record DeliveryList(IReadOnlyList<DeliveryView> Deliveries, Pagination Pagination);

public static class ListDeliveriesEndpoint
{
    /// <summary>The endpoint's delivery log, newest first: status, attempts, response code, duration, the first bytes of the answer.</summary>
    [WolverineGet("/api/webhooks/{id}/deliveries", OperationId = "ListWebhookDeliveries"), Tags("Webhooks")]
    public static async Task<ApiResponse<DeliveryList>> List(Guid id, int? page, int? limit, IQuerySession session, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var (p, l) = PageRequest.Resolve(page, limit, errors);
        if (errors.Any)
        {
            throw ApiProblems.Validation(errors);
        }

        await WebhookLookup.FindAsync(session, id, ct);
        var deliveries = await session.Query<WebhookDelivery>().Where(d => d.WebhookId == id)
            .OrderByDescending(d => d.CreatedAt).ThenByDescending(d => d.Sequence)
            .ToPagedListAsync(p, l, ct);
        return Api.Ok(new DeliveryList(deliveries.Select(DeliveryView.From).ToList(), Pagination.Of(p, l, deliveries.TotalItemCount)));
    }
}

public static class RetryDeliveryEndpoint
{
    /// <summary>Sends a failed (or dropped) delivery again, with the same webhook-id (202); 409 while it is still pending or after it succeeded.</summary>
    [WolverinePost("/api/webhooks/{id}/deliveries/{deliveryId}/retry", OperationId = "RetryWebhookDelivery"), Tags("Webhooks")]
    public static async Task<IResult> Retry(
        Guid id, Guid deliveryId, ClaimsPrincipal caller, IDocumentSession session, IMessageBus bus, TimeProvider clock, CancellationToken ct)
    {
        var webhook = await WebhookLookup.FindAsync(session, id, ct);
        var delivery = await session.LoadAsync<WebhookDelivery>(deliveryId, ct);
        if (delivery is null || delivery.WebhookId != id)
        {
            throw ApiProblems.NotFound("Delivery");
        }

        if (delivery.Status is DeliveryStatus.Pending or DeliveryStatus.Succeeded)
        {
            throw ApiProblems.Conflict("Delivery not retryable", $"The delivery is {delivery.Status.ToString().ToLowerInvariant()}; only failed or cancelled deliveries are retried.");
        }

        if (!webhook.Enabled)
        {
            throw ApiProblems.Conflict("Webhook disabled", "The webhook is disabled; enable it (PATCH with {\"enabled\": true}) before retrying.");
        }

        delivery.Status = DeliveryStatus.Pending;
        // a manual retry has the whole retry window again
        delivery.RetryFrom = clock.GetUtcNow();
        delivery.NextAttemptAt = null;
        session.Store(delivery);
        await bus.SendAsync(new DeliverWebhook(delivery.Id, delivery.Attempts + 1), new DeliveryOptions { TenantId = Caller.TenantOf(caller.UserId()) });
        await session.SaveChangesAsync(ct);
        return Api.Accepted(DeliveryView.From(delivery));
    }
}
