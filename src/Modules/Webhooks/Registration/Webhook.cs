namespace LoraPipeline.Webhooks.Registration;

/// <summary>One of the user's endpoints: where to send which events, and the secrets that sign them.</summary>
public sealed class Webhook
{
    public Guid Id { get; set; }
    public string Url { get; set; } = "";

    /// <summary>The event types sent; empty means every type.</summary>
    public List<string> Events { get; set; } = [];

    public string? Description { get; set; }
    public bool Enabled { get; set; } = true;
    public string? DisabledReason { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Newest first; an older one signs too until it expires (rotation overlap).</summary>
    public List<StoredSecret> Secrets { get; set; } = [];

    /// <summary>Since when every attempt has failed (null after a success): what disables the endpoint.</summary>
    public DateTimeOffset? FailingSince { get; set; }

    public bool Wants(string eventType) => Events.Count == 0 || Events.Contains(eventType);

    public IEnumerable<StoredSecret> SecretsValidAt(DateTimeOffset now) => Secrets.Where(s => s.ExpiresAt is null || s.ExpiresAt > now);
}

/// <summary>A signing secret, encrypted (<see cref="Secrets.SigningSecrets"/>); never shown after it was created.</summary>
public sealed record StoredSecret(string Encrypted, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

/// <summary>A webhook as the API shows it: never its secret.</summary>
public sealed record WebhookView(
    Guid Id, string Url, IReadOnlyList<string> Events, string? Description, bool Enabled, string? DisabledReason,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int ActiveSecrets, DateTimeOffset? PreviousSecretExpiresAt)
{
    public static WebhookView From(Webhook w, DateTimeOffset now) => new(
        w.Id, w.Url, w.Events, w.Description, w.Enabled, w.DisabledReason, w.CreatedAt, w.UpdatedAt,
        w.SecretsValidAt(now).Count(), w.SecretsValidAt(now).Skip(1).Select(s => s.ExpiresAt).FirstOrDefault());
}

/// <summary>The answer of a create or a rotation: the only time the secret is shown.</summary>
public sealed record WebhookWithSecret(WebhookView Webhook, string Secret);
