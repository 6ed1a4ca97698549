using Microsoft.Extensions.Options;

namespace LoraPipeline.SlurmGateway;

/// <summary>Section "SlurmGateway": where Slurm is, how jobs are shaped, and the keys of the cluster contract.</summary>
public sealed class GatewayOptions
{
    public const string Section = "SlurmGateway";

    /// <summary>Bearer key the platform sends (the cluster key; a secret, never logged).</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>HMAC secret of the callbacks (the platform's GpuCluster:CallbackSecret).</summary>
    public string CallbackSecret { get; set; } = "";

    /// <summary>Signs the artifact download links; defaults to a key derived from ApiKey when empty.</summary>
    public string DownloadSigningKey { get; set; } = "";

    /// <summary>How long a download link stays valid.</summary>
    public TimeSpan DownloadLinkLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>slurmrestd's base URL, e.g. http://login1:6820.</summary>
    public string SlurmRestUrl { get; set; } = "";

    /// <summary>The Slurm user jobs run as (X-SLURM-USER-NAME).</summary>
    public string SlurmUser { get; set; } = "";

    /// <summary>A JWT for that user (scontrol token), inline...</summary>
    public string SlurmToken { get; set; } = "";

    /// <summary>...or in a file re-read when it changes (a token rotated by cron)...</summary>
    public string SlurmTokenFile { get; set; } = "";

    /// <summary>...or the cluster's HS256 jwt_key file, to mint short-lived tokens ourselves.</summary>
    public string SlurmJwtKeyFile { get; set; } = "";

    /// <summary>Lifetime of a minted token; a new one is minted at half of it.</summary>
    public TimeSpan MintedTokenLifetime { get; set; } = TimeSpan.FromMinutes(30);

    public string Partition { get; set; } = "";

    public string Account { get; set; } = "";

    public string Qos { get; set; } = "";

    /// <summary>The job folder root on the shared filesystem: &lt;root&gt;/&lt;job id&gt;/ holds everything of a job.</summary>
    public string JobRoot { get; set; } = "";

    /// <summary>The trainer program as run on a compute node (absolute path), then its fixed leading arguments.</summary>
    public List<string> TrainerCommand { get; set; } = [];

    /// <summary>Extra trainer arguments after "job DIR" (e.g. --threads 1, --device cuda).</summary>
    public List<string> TrainerArguments { get; set; } = [];

    /// <summary>Base model name → checkpoint folder on the shared filesystem; only these models are accepted.</summary>
    public Dictionary<string, string> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Platform GPU type → Slurm GRES type (e.g. "A100-80GB" → "a100"); an unmapped type asks for any GPU.</summary>
    public Dictionary<string, string> GpuTypes { get; set; } = new(StringComparer.Ordinal);

    public int CpusPerGpu { get; set; } = 1;

    /// <summary>Memory per GPU in MB (0: leave it to the partition's default).</summary>
    public int MemoryPerGpuMb { get; set; }

    /// <summary>Training throughput assumed per GPU for the time limit (examples per second).</summary>
    public double ExamplesPerSecondPerGpu { get; set; } = 2;

    /// <summary>The time limit is the estimate times this margin, plus <see cref="TimeLimitFloor"/>.</summary>
    public double TimeLimitMargin { get; set; } = 2;

    public TimeSpan TimeLimitFloor { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The signal Slurm sends this long before the time limit, so the trainer checkpoints.</summary>
    public TimeSpan SignalGrace { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>A dataset larger than this is refused (422).</summary>
    public long MaxDatasetBytes { get; set; } = 1L << 30;

    /// <summary>One GET /jobs per interval, for all jobs.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Callbacks of a running job at most this often (and at each change of status).</summary>
    public TimeSpan CallbackInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The trainer's checkpoint interval in steps (job.json checkpoint_every).</summary>
    public int CheckpointEvery { get; set; } = 50;
}

/// <summary>Refuses to start with a configuration that could only fail later, naming every problem.</summary>
internal sealed class GatewayOptionsValidation : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions o)
    {
        var errors = new List<string>();
        if (o.ApiKey.Length < 16)
        {
            errors.Add("SlurmGateway:ApiKey must be set (at least 16 characters)");
        }

        if (o.CallbackSecret.Length < 16)
        {
            errors.Add("SlurmGateway:CallbackSecret must be set (at least 16 characters)");
        }

        if (!Uri.TryCreate(o.SlurmRestUrl, UriKind.Absolute, out var rest) || rest.Scheme is not ("http" or "https"))
        {
            errors.Add("SlurmGateway:SlurmRestUrl must be an absolute http(s) URL of slurmrestd");
        }

        if (string.IsNullOrWhiteSpace(o.SlurmUser))
        {
            errors.Add("SlurmGateway:SlurmUser must be set");
        }

        var sources = new[] { o.SlurmToken, o.SlurmTokenFile, o.SlurmJwtKeyFile }.Count(s => !string.IsNullOrWhiteSpace(s));
        if (sources != 1)
        {
            errors.Add("exactly one of SlurmGateway:SlurmToken, SlurmTokenFile or SlurmJwtKeyFile must be set");
        }

        foreach (var file in new[] { o.SlurmTokenFile, o.SlurmJwtKeyFile }.Where(f => !string.IsNullOrWhiteSpace(f) && !File.Exists(f)))
        {
            errors.Add($"the Slurm credentials file {file} does not exist");
        }

        if (string.IsNullOrWhiteSpace(o.JobRoot) || !Path.IsPathFullyQualified(o.JobRoot))
        {
            errors.Add("SlurmGateway:JobRoot must be an absolute folder on the shared filesystem");
        }

        if (o.TrainerCommand.Count == 0 || !Path.IsPathFullyQualified(o.TrainerCommand[0]))
        {
            errors.Add("SlurmGateway:TrainerCommand must start with the trainer's absolute path (e.g. /usr/bin/dotnet, /opt/lora/lora-train.dll)");
        }

        if (o.Models.Count == 0)
        {
            errors.Add("SlurmGateway:Models must map at least one base model name to its checkpoint folder");
        }

        errors.AddRange(o.Models.Where(m => !Path.IsPathFullyQualified(m.Value)).Select(m => $"SlurmGateway:Models:{m.Key} must be an absolute folder"));
        if (o.CpusPerGpu < 1 || o.MemoryPerGpuMb < 0 || o.TimeLimitMargin < 1 || o.ExamplesPerSecondPerGpu <= 0 || o.CheckpointEvery < 1)
        {
            errors.Add("CpusPerGpu ≥ 1, MemoryPerGpuMb ≥ 0, TimeLimitMargin ≥ 1, ExamplesPerSecondPerGpu > 0 and CheckpointEvery ≥ 1 are required");
        }

        if (o.PollInterval <= TimeSpan.Zero || o.MaxDatasetBytes <= 0)
        {
            errors.Add("SlurmGateway:PollInterval and MaxDatasetBytes must be positive");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
