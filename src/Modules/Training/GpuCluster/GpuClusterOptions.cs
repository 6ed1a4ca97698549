namespace LoraPipeline.Training.GpuCluster;

/// <summary>Section "GpuCluster": where the cluster is, how we talk to it, how patient we are.</summary>
public sealed class GpuClusterOptions
{
    public const string Section = "GpuCluster";

    /// <summary>Simulated: our simulator in this process, still reached over loopback HTTP. External: a real cluster.</summary>
    public string Mode { get; set; } = "Simulated";

    /// <summary>The cluster's base URL. In Simulated mode it defaults to {Storage:PublicBaseUrl}/gpu-sim.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Bearer key for the cluster (a secret: configured, never logged).</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>Shorter secrets are refused: at start-up when callbacks are on, by the callback endpoint always.</summary>
    public const int MinCallbackSecretLength = 16;

    /// <summary>HMAC secret the cluster signs its callbacks with (a secret).</summary>
    public string CallbackSecret { get; set; } = "";

    /// <summary>Give the cluster a callback URL so it pushes progress between polls.</summary>
    public bool UseCallbacks { get; set; } = true;

    /// <summary>How old a callback's timestamp may be.</summary>
    public TimeSpan CallbackTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>One poll per active job per interval.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A job's first poll comes after half to all of <see cref="PollInterval"/>, at random (<paramref name="random"/>
    /// in [0, 1)); the later ones a whole interval apart. Jobs created in a burst (a script, a
    /// restart's recovery) thus poll the cluster spread over the interval, not all in one instant for
    /// the rest of their lives.
    /// </summary>
    public TimeSpan FirstPollDelay(double random) => PollInterval * (0.5 + 0.5 * random);

    /// <summary>How often jobs are searched for a chain of polls or submission attempts that stopped (0: never).</summary>
    public TimeSpan PollWatchInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A running job not polled for this long has lost its chain: three intervals and a minute.</summary>
    public TimeSpan PollOverdueAfter => (PollInterval * 3) + TimeSpan.FromMinutes(1);

    /// <summary>
    /// A job waiting for submission with nothing recorded for this long has lost its chain: longer than
    /// the longest back-off (5 minutes, 7.5 with jitter) plus one call with its retries.
    /// </summary>
    public TimeSpan SubmissionOverdueAfter => TimeSpan.FromMinutes(10) + (RequestTimeout * 3);

    /// <summary>Time limit of one HTTP attempt; the client retries twice with jitter inside one call.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Retries of one model file download that answered 5xx, 408 or 429 or could not connect, before
    /// the collection attempt fails (0: none). A Retry-After header sets the wait.
    /// </summary>
    public int DownloadRetries { get; set; } = 3;

    /// <summary>A file download that receives no byte for this long fails its collection attempt (which is retried).</summary>
    public TimeSpan DownloadIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>First wait between download retries without a Retry-After; doubles each time, with jitter.</summary>
    public TimeSpan DownloadRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Submission attempts (each already retried by the client) before the job fails.</summary>
    public int MaxSubmitAttempts { get; set; } = 5;

    /// <summary>
    /// How long after giving up a submission (time-outs) the cluster is asked whether it made the job anyway; a job it
    /// made is cancelled there.
    /// </summary>
    public TimeSpan ReconcileAbandonedAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A cluster cancel not confirmed for this long is sent again by the job watch.</summary>
    public TimeSpan ClusterCancelResendAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>First wait between submission attempts; doubles each time, with jitter.</summary>
    public TimeSpan SubmitRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A running job whose status could not be read for this long fails (and the cluster is told to cancel it):
    /// a period, not a count of failed polls, so a short outage fails nothing whatever the poll interval.
    /// </summary>
    public TimeSpan StatusUnreadableFor { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Restarts from a checkpoint after a preemption or a lost node before the job fails with the reason.</summary>
    public int MaxRecoveries { get; set; } = 3;

    public bool IsSimulated => string.Equals(Mode, "Simulated", StringComparison.OrdinalIgnoreCase);
}
