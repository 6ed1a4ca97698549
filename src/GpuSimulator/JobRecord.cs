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

    public DateTimeOffset? CancelledAt { get; init; }

    public int SubmitCalls { get; init; } = 1;

    /// <summary>Cached artifact manifest (JSON), filled the first time the artifacts are listed.</summary>
    public string? ArtifactManifest { get; init; }
}
