namespace LoraPipeline.Webhooks;

/// <summary>Settings of the section <c>Webhooks</c> (README of this module, "Safety settings" and "Retries").</summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    /// <summary>Allow <c>http://</c> endpoints (development only: payloads and signatures travel in clear).</summary>
    public bool AllowInsecure { get; set; }

    /// <summary>Allow endpoints on loopback, private, link-local or metadata addresses (tests and local receivers).</summary>
    public bool AllowPrivateAddresses { get; set; }

    /// <summary>A delivery answered 2xx within this time succeeded; a slower one is a failed attempt.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Waits between attempts of a delivery; the last one repeats until <see cref="RetryFor"/> has passed.</summary>
    public TimeSpan[] RetryDelays { get; set; } =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10),
        TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4), TimeSpan.FromHours(5),
    ];

    /// <summary>A delivery is retried this long after its event, then given up.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>An endpoint whose deliveries all failed for this long is disabled.</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>After a rotation the previous secret still signs (and so verifies) this long.</summary>
    public TimeSpan RotationOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>A payload above this size is not sent (the delivery fails at once).</summary>
    public int MaxPayloadBytes { get; set; } = 256 * 1024;

    /// <summary>At most this much of an answer is read; the first <see cref="ResponseExcerptBytes"/> are kept in the log.</summary>
    public int MaxResponseBytes { get; set; } = 64 * 1024;

    public int ResponseExcerptBytes { get; set; } = 1024;

    /// <summary>Key material for the signing secrets at rest; falls back to Storage:SigningKey (every node has it).</summary>
    public string? EncryptionKey { get; set; }

    /// <summary>How many deliveries run at once on this node.</summary>
    public int MaxParallelDeliveries { get; set; } = 32;

    /// <summary>
    /// How many event sequence numbers the dispatch subscription lets the daemon hold in flight before it waits and
    /// then takes one larger page (see <see cref="Dispatch.WebhookDispatchSubscription"/>); Marten's default is 2,500.
    /// </summary>
    public int DispatchHopperSize { get; set; } = 50;

    public TimeSpan DelayBefore(int attempt) =>
        RetryDelays.Length == 0 ? TimeSpan.FromMinutes(5) : RetryDelays[Math.Clamp(attempt - 1, 0, RetryDelays.Length - 1)];
}
