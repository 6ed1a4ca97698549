using System.Text.Json;
using System.Text.Json.Nodes;
using LoraPipeline.SlurmGateway.Api;
using LoraPipeline.SlurmGateway.Slurm;
using Microsoft.Extensions.Options;

namespace LoraPipeline.SlurmGateway.Jobs;

/// <summary>A request the gateway refuses before anything is written (400), or a Slurm refusal (400 with Slurm's words).</summary>
internal sealed class BadSubmitException(string message) : Exception(message);

/// <summary>
/// Turns a contract submit into a job folder (dataset, job.json, the batch script) and a Slurm batch job, once per
/// job id: a second submit of the same job answers the first one's job; a refusal leaves no folder behind.
/// </summary>
internal sealed class JobSubmitter(
    JobFolders folders, DatasetFetcher datasets, SlurmRestClient slurm, IOptions<GatewayOptions> options, TimeProvider clock, ILogger<JobSubmitter> logger)
{
    public static string SlurmName(Guid jobId) => "lora-" + jobId.ToString("N");

    public static string? Validate(SubmitRequest request, GatewayOptions o)
    {
        var h = request.Hyperparameters;
        return request switch
        {
            _ when request.JobId is null || request.JobId == Guid.Empty => "job_id is required",
            _ when !IsHttpUrl(request.DatasetUrl) => "dataset_url must be an absolute http(s) URL",
            _ when request.CallbackUrl is { Length: > 0 } && !IsHttpUrl(request.CallbackUrl) => "callback_url must be an absolute http(s) URL",
            _ when request.ValidationDatasetUrl is not null && !IsHttpUrl(request.ValidationDatasetUrl) => "validation_dataset_url must be an absolute http(s) URL",
            _ when h is null => "hyperparameters are required",
            _ when h!.BaseModel is null || !o.Models.ContainsKey(h.BaseModel) =>
                $"unsupported base_model; this cluster trains: {string.Join(", ", o.Models.Keys.Order(StringComparer.Ordinal))}",
            _ when h.NumEpochs < 1 || h.BatchSize < 1 || h.LoraRank < 1 || h.LearningRate <= 0 || h.LoraAlpha <= 0 || h.LoraDropout is < 0 or >= 1 =>
                "num_epochs, batch_size, lora_rank, learning_rate and lora_alpha must be positive, lora_dropout in [0, 1)",
            _ when h.WarmupSteps is < 0 || h.WeightDecay is < 0 => "warmup_steps and weight_decay cannot be negative",
            _ when request.GpuConfig is not { NumGpus: >= 1 } => "gpu_config.num_gpus must be at least 1",
            _ when request.ValidationSplit is < 0.01 or > 0.5 => "validation_split must be between 0.01 and 0.5",
            _ when request.Seed is < 0 => "seed must not be negative",
            _ when request.MaxSeqLen is < 2 => "max_seq_len must be at least 2",
            _ => null,
        };
    }

    private static bool IsHttpUrl(string? url) => Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https";

    /// <summary>The job's state after the submit (new or earlier), or throws: <see cref="BadSubmitException"/>, <see cref="DatasetUnusableException"/>.</summary>
    public async Task<(JobState State, bool Created)> SubmitAsync(SubmitRequest request, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (Validate(request, o) is { } problem)
        {
            throw new BadSubmitException(problem);
        }

        var jobId = request.JobId!.Value;
        using var held = await folders.LockAsync(jobId, cancellationToken);
        if (folders.Load(jobId) is { } existing)
        {
            return (existing, false);
        }

        var folder = folders.Folder(jobId);
        var resuming = File.Exists(folders.PathOf(jobId, JobFolders.SubmittingFile));
        // the job folder is readable by its owner only (the Slurm user the jobs run as)
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        try
        {
            var dataset = await datasets.FetchAsync(request.DatasetUrl!, folders.PathOf(jobId, JobFolders.DatasetFile), cancellationToken);
            if (request.ValidationDatasetUrl is { } validationUrl)
            {
                await datasets.FetchAsync(validationUrl, folders.PathOf(jobId, JobFolders.ValidationDatasetFile), cancellationToken, "validation dataset");
            }

            var h = request.Hyperparameters!;
            var gpus = request.GpuConfig!.NumGpus;
            var estimate = dataset.Examples * (double)h.NumEpochs / (o.ExamplesPerSecondPerGpu * gpus);
            var minutes = (int)Math.Ceiling(((estimate * o.TimeLimitMargin) + o.TimeLimitFloor.TotalSeconds) / 60);
            WriteJobFile(jobId, request, o);
            var script = BatchScript.For(o.TrainerCommand, o.TrainerArguments);
            await File.WriteAllTextAsync(folders.PathOf(jobId, JobFolders.ScriptFile), script, cancellationToken);

            // a crash between Slurm's answer and our state file would submit twice: the marker makes the next submit look first
            long? slurmJobId = null;
            if (resuming)
            {
                slurmJobId = (await slurm.JobsAsync(cancellationToken)).FirstOrDefault(j => j.Name == SlurmName(jobId))?.JobId;
            }

            await File.WriteAllTextAsync(folders.PathOf(jobId, JobFolders.SubmittingFile), "", cancellationToken);
            slurmJobId ??= await slurm.SubmitAsync(SlurmJobFor(jobId, request.GpuConfig, minutes, dependency: null), script, cancellationToken);
            var state = new JobState
            {
                JobId = jobId,
                CreatedAt = clock.GetUtcNow(),
                CallbackUrl = string.IsNullOrWhiteSpace(request.CallbackUrl) ? null : request.CallbackUrl,
                BaseModel = h.BaseModel!,
                NumGpus = gpus,
                TotalEpochs = h.NumEpochs,
                LoraRank = h.LoraRank,
                LoraAlpha = h.LoraAlpha,
                LoraDropout = h.LoraDropout,
                DatasetBytes = dataset.Bytes,
                DatasetSha256 = dataset.Sha256,
                TimeLimitMinutes = minutes,
                SlurmJobIds = [slurmJobId.Value],
            };
            folders.Save(state);
            File.Delete(folders.PathOf(jobId, JobFolders.SubmittingFile));
            logger.LogInformation("Job {JobId} submitted as Slurm job {SlurmJobId} ({Gpus} GPU(s), {Minutes} min)", jobId, slurmJobId, gpus, minutes);
            return (state, true);
        }
        catch (Exception e) when (e is SlurmRefusedException { IsRequestError: true } or DatasetUnusableException)
        {
            // refused for good: nothing of the job stays
            Directory.Delete(folder, recursive: true);
            throw e is SlurmRefusedException ? new BadSubmitException(e.Message) : e;
        }
    }

    /// <summary>Submits the job's next Slurm job (a resume), to start once the previous one has ended (its trainer has let go of the folder).</summary>
    public async Task<JobState> SubmitAgainAsync(JobState state, CancellationToken cancellationToken)
    {
        var script = await File.ReadAllTextAsync(folders.PathOf(state.JobId, JobFolders.ScriptFile), cancellationToken);
        var gpu = new GpuConfig { NumGpus = state.NumGpus, GpuType = ReadGpuType(state.JobId) };
        var id = await slurm.SubmitAsync(SlurmJobFor(state.JobId, gpu, state.TimeLimitMinutes, state.CurrentSlurmJobId), script, cancellationToken);
        return state with { SlurmJobIds = [.. state.SlurmJobIds, id], Paused = false, AwaitingResume = false, Waiting = Phases.Queued, QueueReason = null };
    }

    private JsonObject SlurmJobFor(Guid jobId, GpuConfig gpu, int minutes, long? dependency)
    {
        var o = options.Value;
        var folder = folders.Folder(jobId);
        var gres = gpu.GpuType is { } type && o.GpuTypes.TryGetValue(type, out var slurmType) ? $"{slurmType}:{gpu.NumGpus}" : gpu.NumGpus.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var job = new JsonObject
        {
            ["name"] = SlurmName(jobId),
            ["current_working_directory"] = folder,
            ["standard_output"] = Path.Combine(folder, "slurm-%j.out"),
            ["standard_error"] = Path.Combine(folder, "slurm-%j.err"),
            ["environment"] = new JsonObject
            {
                ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
                ["HOME"] = folder,
                ["LORA_JOB_DIR"] = folder,
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
            },
            ["gpus_per_node"] = gres,
            ["cpus_per_task"] = gpu.NumGpus * o.CpusPerGpu,
            ["time_limit"] = minutes,
            ["requeue"] = true,
            // SIGTERM to the job's steps this long before the time limit; slurmrestd 22.05 refuses the "B:" (batch shell) form,
            // so the trainer (exec'd as the batch shell) is reached at the limit itself: SIGTERM, then SIGKILL after KillWait
            ["signal"] = $"TERM@{(int)o.SignalGrace.TotalSeconds}",
        };
        if (o.MemoryPerGpuMb > 0)
        {
            job["memory_per_node"] = o.MemoryPerGpuMb * gpu.NumGpus;
        }

        foreach (var (key, value) in new[] { ("partition", o.Partition), ("account", o.Account), ("qos", o.Qos) })
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                job[key] = value;
            }
        }

        if (dependency is { } previous)
        {
            job["dependency"] = $"afterany:{previous}";
        }

        return job;
    }

    private void WriteJobFile(Guid jobId, SubmitRequest request, GatewayOptions o)
    {
        var h = request.Hyperparameters!;
        var job = new JsonObject
        {
            ["job_id"] = jobId.ToString("D"),
            ["hyperparameters"] = JsonSerializer.SerializeToNode(h, WireJson.Options),
            ["gpu_config"] = JsonSerializer.SerializeToNode(request.GpuConfig, WireJson.Options),
            ["base_model_path"] = o.Models[h.BaseModel!],
            ["checkpoint_every"] = o.CheckpointEvery,
        };
        // the trainer reads these from job.json (its defaults when absent: seed 42, no split, 512 tokens, no validation dataset)
        if (request.Seed is { } seed)
        {
            job["seed"] = seed;
        }

        if (request.ValidationSplit is { } split)
        {
            job["validation_split"] = split;
        }

        if (request.MaxSeqLen is { } maxSeqLen)
        {
            job["max_seq_len"] = maxSeqLen;
        }

        if (request.ValidationDatasetUrl is not null)
        {
            job["validation_dataset_path"] = JobFolders.ValidationDatasetFile; // relative to the job folder
        }

        File.WriteAllText(folders.PathOf(jobId, JobFolders.JobFile), job.ToJsonString(WireJson.Options));
    }

    private string? ReadGpuType(Guid jobId)
    {
        var job = JsonNode.Parse(File.ReadAllText(folders.PathOf(jobId, JobFolders.JobFile)));
        return job?["gpu_config"]?["gpu_type"]?.GetValue<string>();
    }
}
