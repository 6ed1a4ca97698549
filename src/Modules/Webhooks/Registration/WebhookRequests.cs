using System.Text.Json.Serialization;
using LoraPipeline.Platform.Http;
using LoraPipeline.Webhooks.Dispatch;
using LoraPipeline.Webhooks.Safety;

namespace LoraPipeline.Webhooks.Registration;

/// <summary><c>events</c> left out (or <c>["*"]</c>) sends every type. An unknown field is refused (a misspelt filter would send everything).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateWebhook(string? Url, List<string>? Events, string? Description);

/// <summary>Every field optional: what is left out stays as it is. <c>enabled: true</c> turns a disabled endpoint on again.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record UpdateWebhook(string? Url, List<string>? Events, string? Description, bool? Enabled);

internal static class WebhookRules
{
    public const int MaxDescription = 500;
    public const string AllEvents = "*";

    public static void CheckUrl(FieldErrors errors, string? url, WebhookOptions options)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            errors.Add("url", "is required");
        }
        else if (DestinationRules.RefuseUrl(url.Trim(), options) is { } refused)
        {
            errors.Add("url", refused);
        }
    }

    /// <summary>The filter as stored: empty for every type, else the named types once each.</summary>
    public static List<string> CheckEvents(FieldErrors errors, List<string>? events)
    {
        if (events is null || (events.Count == 1 && events[0] == AllEvents))
        {
            return [];
        }

        if (events.Count == 0)
        {
            errors.Add("events", $"must name at least one event type, or be [\"{AllEvents}\"] for all of them");
        }

        foreach (var unknown in events.Where(e => !WebhookEventTypes.All.Contains(e)).Distinct())
        {
            errors.Add("events", $"'{unknown}' is not an event type; use \"{AllEvents}\" or any of: {string.Join(", ", WebhookEventTypes.All)}");
        }

        return events.Distinct().ToList();
    }

    public static string? CheckDescription(FieldErrors errors, string? description)
    {
        if (description is null)
        {
            return null;
        }

        var clean = UserText.Clean(description);
        if (clean.Length > MaxDescription)
        {
            errors.Add("description", $"must be at most {MaxDescription} characters (got {clean.Length})");
        }

        return clean.Length == 0 ? null : clean;
    }
}
