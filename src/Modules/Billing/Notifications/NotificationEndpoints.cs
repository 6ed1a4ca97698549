using System.Security.Claims;
using LoraPipeline.Platform;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using Marten;
using Marten.Patching;
using Wolverine.Http;

namespace LoraPipeline.Billing.Notifications;

public sealed record NotificationList(IReadOnlyList<Notification> Notifications, long UnreadCount);

public sealed record ReadAllResult(long Marked, long UnreadCount);

internal static class Inbox
{
    /// <summary>The stream of a user's "read all" marks.</summary>
    public static Guid StreamFor(Guid userId) => DeterministicGuid.From("inbox", userId.ToString());

    /// <summary>
    /// The stream of one notification's read mark: marks of different notifications never contend
    /// for one stream version (on a per-user stream, two tabs marking at once collided).
    /// </summary>
    public static Guid ReadStreamFor(Guid notificationId) => DeterministicGuid.From("notification-read", notificationId.ToString());
}

public static class ListNotificationsEndpoint
{
    public const int MaxLimit = 100;

    /// <summary>Newest first; <c>unread=true</c> for unread ones only; <c>limit</c> 1-100 (default 20); with the unread count.</summary>
    [WolverineGet("/api/notifications", OperationId = "ListNotifications"), Tags("Notifications")]
    public static async Task<ApiResponse<NotificationList>> List(IQuerySession session, bool? unread, int? limit, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var l = limit ?? 20;
        errors.RequireRange("limit", l, (1, MaxLimit));
        if (errors.Any)
        {
            throw ApiProblems.Validation(errors);
        }

        var query = session.Query<Notification>().AsQueryable();
        if (unread == true)
        {
            query = query.Where(n => !n.Read);
        }

        var notifications = await query.OrderByDescending(n => n.CreatedAt).Take(l).ToListAsync(ct);
        var unreadCount = await session.Query<Notification>().CountAsync(n => !n.Read, ct);
        return Api.Ok(new NotificationList(notifications.ToList(), unreadCount));
    }
}

public static class MarkNotificationReadEndpoint
{
    /// <summary>
    /// Idempotent. Applied to the inbox at once (so the next read sees it) and recorded as an event
    /// (so a rebuilt inbox keeps it).
    /// </summary>
    [WolverinePatch("/api/notifications/{id}/read", OperationId = "MarkNotificationRead"), Tags("Notifications")]
    public static async Task<ApiResponse<Notification>> MarkRead(Guid id, ClaimsPrincipal caller, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var notification = await session.LoadAsync<Notification>(id, ct) ?? throw ApiProblems.NotFound("Notification");
        if (!notification.Read)
        {
            session.Events.Append(Inbox.ReadStreamFor(id), new NotificationRead(id, clock.GetUtcNow()));
            session.Patch<Notification>(id).Set(n => n.Read, true);
            try
            {
                await session.SaveChangesAsync(ct);
            }
            catch (Exception e) when (LostWriteRace.Caused(e))
            {
                session.EjectAllPendingChanges(); // a concurrent request marked it read first
            }

            notification.Read = true;
        }

        return Api.Ok(notification);
    }
}

public static class MarkAllNotificationsReadEndpoint
{
    /// <summary>
    /// Marks every notification that exists now as read: up to the newest one's time (notification
    /// times are the database's event times, so the application's clock is not compared with them).
    /// </summary>
    [WolverinePost("/api/notifications/read-all", OperationId = "MarkAllNotificationsRead"), Tags("Notifications")]
    public static async Task<ApiResponse<ReadAllResult>> MarkAll(ClaimsPrincipal caller, IDocumentSession session, TimeProvider clock, CancellationToken ct)
    {
        var newest = await session.Query<Notification>().OrderByDescending(n => n.CreatedAt).Select(n => n.CreatedAt).FirstOrDefaultAsync(ct);
        var marked = await session.Query<Notification>().CountAsync(n => !n.Read && n.CreatedAt <= newest, ct);
        if (marked > 0)
        {
            session.Events.Append(Inbox.StreamFor(caller.UserId()), new AllNotificationsRead(newest, clock.GetUtcNow()));
            session.Patch<Notification>(n => n.CreatedAt <= newest && !n.Read).Set(n => n.Read, true);
            try
            {
                await session.SaveChangesAsync(ct);
            }
            catch (Exception e) when (LostWriteRace.Caused(e))
            {
                session.EjectAllPendingChanges();
                marked = 0; // a concurrent "read all" marked them first
            }
        }

        var unread = await session.Query<Notification>().CountAsync(n => !n.Read, ct);
        return Api.Ok(new ReadAllResult(marked, unread));
    }
}
