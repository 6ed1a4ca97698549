using System.Text.Json.Serialization;

namespace LoraPipeline.SlurmGateway.Jobs;

/// <summary>
/// Everything the gateway knows of a job beyond what Slurm and the trainer write, kept in the job folder
/// (<c>gateway.json</c>), so the gateway needs no database and a restart loses nothing.
/// </summary>
internal sealed record JobState
{
    public required Guid JobId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public string? CallbackUrl { get; init; }
    public required string BaseModel { get; init; }
    public required int NumGpus { get; init; }
    public required int TotalEpochs { get; init; }
    public required int LoraRank { get; init; }
    public required double LoraAlpha { get; init; }
    public required double LoraDropout { get; init; }
    public required long DatasetBytes { get; init; }
    public required string DatasetSha256 { get; init; }
    public required int TimeLimitMinutes { get; init; }

    /// <summary>Slurm jobs of this job, oldest first: the submit's, then one per resume after a pause or an unrecovered preemption.</summary>
    public IReadOnlyList<long> SlurmJobIds { get; init; } = [];

    public IReadOnlyList<Attempt> Attempts { get; init; } = [];

    /// <summary>What Slurm last said of the current Slurm job while it is not running: queued or recovering, and why.</summary>
    public string Waiting { get; init; } = Phases.Queued;

    public string? QueueReason { get; init; }

    /// <summary>Paused at the user's request; the current Slurm job was cancelled (the trainer checkpointed on its SIGTERM).</summary>
    public bool Paused { get; init; }

    public bool CancelRequested { get; init; }

    /// <summary>The Slurm job ended preempted or with its node lost, not requeued: the next resume submits again.</summary>
    public bool AwaitingResume { get; init; }

    /// <summary>The end, once known: completed, failed or cancelled, with the reason of a failure.</summary>
    public string? Final { get; init; }

    public string? FinalError { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    [JsonIgnore]
    public long? CurrentSlurmJobId => SlurmJobIds.Count > 0 ? SlurmJobIds[^1] : null;

    [JsonIgnore]
    public string ExternalJobId => ExternalIds.Of(JobId);

    [JsonIgnore]
    public Attempt? OpenAttempt => Attempts.Count > 0 && Attempts[^1].EndedAt is null ? Attempts[^1] : null;
}

/// <summary>One run of the trainer on GPUs: a start of a Slurm job (a requeue starts the same Slurm job again).</summary>
internal sealed record Attempt(
    int Number, long SlurmJobId, int RestartCount, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, string Outcome, int FromStep, int Gpus)
{
    public double GpuSeconds(DateTimeOffset now) => Math.Max(0, ((EndedAt ?? now) - StartedAt).TotalSeconds) * Gpus;
}

internal static class Phases
{
    public const string Queued = "queued";
    public const string Initializing = "initializing";
    public const string Running = "running";
    public const string Recovering = "recovering";
    public const string Paused = "paused";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

/// <summary>External job ids are "slurm-" + our job id: stable across the Slurm jobs of a pause/resume, and never a path.</summary>
internal static class ExternalIds
{
    public static string Of(Guid jobId) => "slurm-" + jobId.ToString("N");

    public static bool TryParse(string? externalId, out Guid jobId)
    {
        jobId = Guid.Empty;
        return externalId is { Length: 38 } && externalId.StartsWith("slurm-", StringComparison.Ordinal)
            && Guid.TryParseExact(externalId[6..], "N", out jobId);
    }
}
