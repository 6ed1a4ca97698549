namespace LoraPipeline.Billing.Notifications;

/// <summary>E01's notifications. Its id is the id of the event it tells about: one per event, whatever is replayed.</summary>
public sealed class Notification
{
    public Guid Id { get; set; }
    public string Type { get; set; } = "";
    public string Title { get; set; } = "";
    public string Message { get; set; } = "";
    public string Priority { get; set; } = "medium";
    public bool Read { get; set; }
    public string? ActionUrl { get; set; }
    public Dictionary<string, object?> Metadata { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>The user read one notification; recorded so a rebuilt inbox keeps it read.</summary>
public sealed record NotificationRead(Guid NotificationId, DateTimeOffset At);

/// <summary>The user marked everything created up to <paramref name="UpTo"/> as read.</summary>
public sealed record AllNotificationsRead(DateTimeOffset UpTo, DateTimeOffset At);
