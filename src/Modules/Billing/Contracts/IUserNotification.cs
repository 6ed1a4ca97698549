namespace LoraPipeline.Billing.Contracts;

/// <summary>
/// A published event of another module that tells its user something in the inbox, in its own words: the inbox
/// shows every event implementing this as it says, so a module Billing does not know (webhooks) can notify.
/// </summary>
public interface IUserNotification
{
    string NotificationType { get; }
    string Title { get; }
    string Message { get; }

    /// <summary>low, medium or high.</summary>
    string Priority { get; }

    string? ActionUrl { get; }
}
