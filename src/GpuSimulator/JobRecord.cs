namespace LoraPipeline.GpuSimulator;

/// <summary>
/// One stored submission. Everything the simulation needs is in here (including the time scale, the GPU
/// throughput and the per-job fault decisions, all copied at acceptance), so any process derives the same
/// answer from this row and the current time.
/// </summary>
internal sealed record JobRecord
{
    public required string ExternalJobId { get; init; }

    public required Guid JobId { get; init; }

    public required string IdempotencyKey { get; init; }

    public required DateTimeOffset SubmittedAt { get; init; }

    public required string DatasetUrl { get; init; }

    public string? CallbackUrl { get; init; }

    public required Hyperparameters Hyperparameters { get; init; }

    public required GpuConfig GpuConfig { get; init; }

    public required int TrainExamples { get; init; }

    public required int ValidationExamples { get; init; }

    public required long DatasetBytes { get; init; }

    public required double TimeScale { get; init; }

    public required double GpuThroughput { get; init; }

    /// <summary>Step during which the job fails with CUDA OOM (fault injection), or null.</summary>
    public int? FailAtStep { get; init; }

    /// <summary>Whether the cluster forgets the job once it starts running (fault injection).</summary>
    public bool Lost { get; init; }

    /// <summary>
    /// Step during which the cluster preempts the job's first attempt (fault injection, <see cref="SimulatorOptions.PreemptionRate"/>),
    /// or null. Decided at acceptance, deterministic by job id.
    /// </summary>
    public int? PreemptAtStep { get; init; }

    /// <summary>Simulated seconds a restarted attempt spends initializing before it trains (copied at acceptance).</summary>
    public double RestartSeconds { get; init; } = SimulatorOptions.DefaultRestartSeconds;

    /// <summary>Periodic checkpoint interval in steps as configured at acceptance; 0 means a quarter of the run's steps.</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>The pause and resume calls that took effect, with their real instants, oldest first.</summary>
    public IReadOnlyList<LifecycleCall> LifecycleCalls { get; init; } = [];

    public DateTimeOffset? CancelledAt { get; init; }

    public int SubmitCalls { get; init; } = 1;

    /// <summary>Cached artifact manifest (JSON), filled the first time the artifacts are listed.</summary>
    public string? ArtifactManifest { get; init; }

    /// <summary>Cached checkpoint manifests (JSON object: step -> manifest), filled the first time a checkpoint is listed.</summary>
    public string? CheckpointManifests { get; init; }
}

/// <summary>A pause or resume call that took effect, at its real instant.</summary>
internal sealed record LifecycleCall(string Action, DateTimeOffset At)
{
    public const string Pause = "pause";
    public const string Resume = "resume";
}
