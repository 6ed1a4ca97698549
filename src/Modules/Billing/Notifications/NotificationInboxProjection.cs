using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Marten.Patching;
using LoraPipeline.Billing.Costs;

namespace LoraPipeline.Billing.Notifications;

/// <summary>
/// The inbox: an async projection over the events of every module. A notification's id is its
/// event's id, so replays and rebuilds never duplicate one; read marks are events too, so a
/// rebuilt inbox keeps what was read.
/// </summary>
public sealed partial class NotificationInboxProjection : EventProjection
{
    public override async ValueTask ApplyAsync(IDocumentOperations operations, IEvent e, CancellationToken cancellation)
    {
        var tenant = operations.ForTenant(e.TenantId);
        switch (e.Data)
        {
            case NotificationRead read:
                tenant.Patch<Notification>(read.NotificationId).Set(n => n.Read, true);
                break;
            case AllNotificationsRead all:
                tenant.Patch<Notification>(n => n.CreatedAt <= all.UpTo && !n.Read).Set(n => n.Read, true);
                break;
            default:
                if (NotificationRules.For(e.Id, e.Data, e.Timestamp, await JobNames.OfAsync(tenant, e.Data, cancellation)) is { } notification)
                {
                    tenant.Store(notification);
                }

                break;
        }
    }
}
