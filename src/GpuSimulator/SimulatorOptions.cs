namespace LoraPipeline.GpuSimulator;

/// <summary>
/// Settings of the GPU cluster simulator, bound from the configuration section <c>Simulator</c>.
/// See README.md next to this file for the meaning of every value and the time arithmetic.
/// </summary>
public sealed class SimulatorOptions
{
    public const string SectionName = "Simulator";

    public const double DefaultRestartSeconds = 120;

    /// <summary>PostgreSQL connection string; when empty, <c>ConnectionStrings:Postgres</c> is used.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Schema holding the simulator's table (created on start).</summary>
    public string Schema { get; set; } = "gpu_simulator";

    /// <summary>Expected <c>Authorization: Bearer</c> value.</summary>
    public string ApiKey { get; set; } = "gpu-sim-dev-key";

    /// <summary>Simulated seconds per real second. Stored with each job when it is accepted.</summary>
    public double TimeScale { get; set; } = 40;

    /// <summary>Real-time interval of callback pushes; zero or negative turns pushes off.</summary>
    public TimeSpan CallbackInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>HMAC-SHA256 key of the <c>X-Cluster-Signature</c> header of callback pushes.</summary>
    public string CallbackSecret { get; set; } = "gpu-sim-dev-callback-secret";

    /// <summary>Upper bound on downloading and counting a dataset during a submission.</summary>
    public TimeSpan DatasetDownloadTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Training throughput in tokens per second of one GPU, by GPU type. The value is copied into a job when it
    /// is accepted, so changing it later does not move running jobs. Keys are the accepted <c>gpu_type</c> values.
    /// </summary>
    public Dictionary<string, double> GpuThroughput { get; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["A100-80GB"] = 1800,
        ["A100-40GB"] = 1500,
        ["H100"] = 2200,
        ["V100-32GB"] = 1200,
    };

    /// <summary>Listening URL of the standalone simulator (<see cref="GpuSimulatorRegistration.RunStandaloneAsync"/>).</summary>
    public string Url { get; set; } = "http://127.0.0.1:5090";

    /// <summary>Path prefix of the standalone simulator; empty maps the contract at the root.</summary>
    public string PathPrefix { get; set; } = "";

    /// <summary>
    /// Fraction of jobs (deterministic by job id, decided at acceptance) whose first attempt the cluster preempts
    /// once, during a step between 25% and 75% of the run; the job then waits in <c>recovering</c> for a resume.
    /// </summary>
    public double PreemptionRate { get; set; }

    /// <summary>Simulated seconds a resumed job spends initializing (loading the model and its checkpoint) before it trains again.</summary>
    public double RestartSeconds { get; set; } = DefaultRestartSeconds;

    /// <summary>A checkpoint is saved every this many steps; 0 means a quarter of the run's steps (at least 1).</summary>
    public int CheckpointEvery { get; set; }

    /// <summary>
    /// Scheme of the callbacks' <c>X-Cluster-Signature</c>: <c>v2</c> (contract v2, the default:
    /// <c>v2=hex(HMAC(secret, "{timestamp}.POST.{path}.{body}"))</c>) or <c>v1</c> (the former
    /// <c>sha256=hex(HMAC(secret, "{timestamp}.{body}"))</c>, for a platform that does not verify v2 yet).
    /// </summary>
    public string CallbackSignature { get; set; } = CallbackSignatures.V2;

    /// <summary>Fault injection, all off by default.</summary>
    public SimulatorFaultOptions Faults { get; set; } = new();
}

/// <summary>Fault injection switches (section <c>Simulator:Faults</c>). Rates are fractions between 0 and 1.</summary>
public sealed class SimulatorFaultOptions
{
    /// <summary>Fraction of submit calls answering 503 (random per call).</summary>
    public double SubmitFailureRate { get; set; }

    /// <summary>Real time added to every submit call.</summary>
    public TimeSpan SubmitDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Fraction of status calls answering 500 (random per call).</summary>
    public double StatusFailureRate { get; set; }

    /// <summary>Fraction of status calls that hang for <see cref="StatusTimeoutDelay"/> and then answer 504 (random per call).</summary>
    public double StatusTimeoutRate { get; set; }

    /// <summary>How long a status call chosen by <see cref="StatusTimeoutRate"/> hangs (real time).</summary>
    public TimeSpan StatusTimeoutDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Fraction of jobs (deterministic by job id, decided at acceptance) failing mid-way with a CUDA OOM error.</summary>
    public double JobFailureRate { get; set; }

    /// <summary>Fraction of jobs (deterministic by job id, decided at acceptance) the cluster forgets once they start running.</summary>
    public double LostJobRate { get; set; }

    /// <summary>Fraction of artifact file downloads answering 503 (random per call).</summary>
    public double ArtifactFailureRate { get; set; }

    /// <summary>The first this many downloads of each artifact file answer 503 (deterministic, counted per process).</summary>
    public int ArtifactFailuresPerFile { get; set; }

    /// <summary>The first this many downloads of each artifact file send a little of the body, then nothing, until the client gives up.</summary>
    public int ArtifactStallsPerFile { get; set; }
}

/// <summary>The values of <see cref="SimulatorOptions.CallbackSignature"/>.</summary>
internal static class CallbackSignatures
{
    public const string V1 = "v1";
    public const string V2 = "v2";
}
