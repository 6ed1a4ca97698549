using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LoraPipeline.GpuSimulator.Artifacts;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace LoraPipeline.GpuSimulator;

/// <summary>The behaviour behind the cluster contract; every method answers an HTTP result.</summary>
internal sealed class SimulatorService(
    JobStore store,
    DatasetInspector datasets,
    CallbackPusher callbacks,
    TimeProvider clock,
    IOptionsMonitor<SimulatorOptions> options,
    ILogger<SimulatorService> logger)
{
    /// <summary>Identifies this process in the <c>accepted_by</c> column.</summary>
    private static readonly string _instanceId =
        $"{Environment.MachineName}/{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}/{Guid.NewGuid():N}";

    private readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyList<ArtifactManifestEntry>>>> _manifests = new(StringComparer.Ordinal);

    /// <summary>Downloads of each artifact file so far ("{job}/{file}"), for <see cref="SimulatorFaultOptions.ArtifactFailuresPerFile"/>.</summary>
    private readonly ConcurrentDictionary<string, int> _downloads = new(StringComparer.Ordinal);

    /// <summary>Downloads of each artifact file stalled so far, for <see cref="SimulatorFaultOptions.ArtifactStallsPerFile"/>.</summary>
    private readonly ConcurrentDictionary<string, int> _stalls = new(StringComparer.Ordinal);

    private static IResult Error(int statusCode, string message) =>
        Results.Json(new ErrorResponse(message), SimulatorJson.Options, statusCode: statusCode);

    private static IResult NotFound() => Error(StatusCodes.Status404NotFound, "job not found");

    // ---------------- submit ----------------

    public async Task<IResult> SubmitAsync(HttpContext context, string prefix)
    {
        var cancellationToken = context.RequestAborted;
        var settings = options.CurrentValue;
        var faults = settings.Faults;
        if (faults.SubmitDelay > TimeSpan.Zero)
        {
            await Task.Delay(faults.SubmitDelay, TimeProvider.System, cancellationToken);
        }

        if (await InjectAsync("submit_failure", faults.SubmitFailureRate, cancellationToken))
        {
            context.Response.Headers.RetryAfter = "1";
            return Error(StatusCodes.Status503ServiceUnavailable, "GPU cluster temporarily unavailable (injected fault)");
        }

        SubmitRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<SubmitRequest>(context.Request.Body, SimulatorJson.Options, cancellationToken);
        }
        catch (JsonException ex)
        {
            return Error(StatusCodes.Status400BadRequest, $"invalid JSON body: {ex.Message}");
        }

        if (request is null)
        {
            return Error(StatusCodes.Status400BadRequest, "a JSON body is required");
        }

        if (Validate(request, settings) is { } problem)
        {
            return Error(StatusCodes.Status400BadRequest, problem);
        }

        var jobId = request.JobId!.Value;
        var headerKey = context.Request.Headers["Idempotency-Key"].ToString().Trim();
        var key = headerKey.Length > 0 ? headerKey : jobId.ToString();
        if (key.Length > 200)
        {
            return Error(StatusCodes.Status400BadRequest, "Idempotency-Key must be at most 200 characters");
        }

        var existing = await store.FindAndCountSubmitAsync(key, jobId, cancellationToken);
        if (existing is not null)
        {
            return Accepted(existing, created: false, context, prefix);
        }

        DatasetStats stats;
        try
        {
            var split = request.ValidationSplit is { } share ? new SplitRequest(share, request.Seed is { } seed ? (ulong)seed : DeterministicRandom.Seed(jobId)) : null;
            stats = await datasets.InspectAsync(new Uri(request.DatasetUrl!, UriKind.Absolute), split, cancellationToken);
            if (request.ValidationDatasetUrl is { } validationUrl)
            {
                // its bytes stay out of DatasetBytes: they size the training work, which the validation set is not
                var validation = await datasets.CountExamplesAsync(new Uri(validationUrl, UriKind.Absolute), cancellationToken);
                stats = stats with { ValidationExamples = stats.ValidationExamples + validation };
            }
        }
        catch (DatasetDownloadException ex)
        {
            logger.LogInformation("GPU simulator: dataset of job {JobId} rejected: {Reason}", jobId, ex.Message);
            return Error(StatusCodes.Status422UnprocessableEntity, ex.Message);
        }

        var h = request.Hyperparameters!;
        var gpu = request.GpuConfig!;
        var totalSteps = JobSimulation.TotalStepsFor(stats.TrainExamples, h.BatchSize, h.NumEpochs);
        var record = new JobRecord
        {
            ExternalJobId = "sim-" + jobId.ToString("N"),
            JobId = jobId,
            IdempotencyKey = key,
            SubmittedAt = StatusBuilder.Now(clock),
            DatasetUrl = request.DatasetUrl!,
            CallbackUrl = string.IsNullOrWhiteSpace(request.CallbackUrl) ? null : request.CallbackUrl,
            Hyperparameters = h,
            GpuConfig = gpu,
            TrainExamples = stats.TrainExamples,
            ValidationExamples = stats.ValidationExamples,
            DatasetBytes = stats.Bytes,
            TimeScale = settings.TimeScale,
            GpuThroughput = settings.GpuThroughput[gpu.GpuType!],
            FailAtStep = JobSimulation.ChooseFailureStep(jobId, faults.JobFailureRate, totalSteps),
            Lost = JobSimulation.ChooseLost(jobId, faults.LostJobRate),
            PreemptAtStep = JobSimulation.ChoosePreemptionStep(jobId, settings.PreemptionRate, totalSteps),
            RestartSeconds = settings.RestartSeconds,
            CheckpointEvery = settings.CheckpointEvery,
        };

        var inserted = await store.TryInsertAsync(record, _instanceId, cancellationToken);
        if (inserted is not null)
        {
            logger.LogInformation(
                "GPU simulator: accepted job {JobId} as {ExternalJobId}: {TrainExamples} train / {ValidationExamples} validation examples, {TotalSteps} steps",
                jobId, inserted.ExternalJobId, stats.TrainExamples, stats.ValidationExamples, totalSteps);
            callbacks.Track(inserted);
            return Accepted(inserted, created: true, context, prefix);
        }

        // lost the race against a concurrent submission of the same job: answer with the winner
        existing = await store.FindAndCountSubmitAsync(key, jobId, cancellationToken);
        return existing is not null
            ? Accepted(existing, created: false, context, prefix)
            : Error(StatusCodes.Status409Conflict, "a conflicting job exists for this job id or idempotency key");
    }

    private IResult Accepted(JobRecord job, bool created, HttpContext context, string prefix)
    {
        if (created)
        {
            context.Response.Headers.Location = $"{context.Request.PathBase}{prefix}/training/status/{job.ExternalJobId}";
            return Results.Json(new SubmitResponse(job.ExternalJobId, JobStatuses.Queued), SimulatorJson.Options, statusCode: StatusCodes.Status201Created);
        }

        var snapshot = new JobSimulation(job).SnapshotAt(StatusBuilder.Now(clock));
        return Results.Json(new SubmitResponse(job.ExternalJobId, snapshot.Status), SimulatorJson.Options, statusCode: StatusCodes.Status200OK);
    }

    internal static string? Validate(SubmitRequest request, SimulatorOptions settings)
    {
        if (request.JobId is null || request.JobId == Guid.Empty)
        {
            return "job_id is required (uuid)";
        }

        if (!IsHttpUrl(request.DatasetUrl))
        {
            return "dataset_url must be an absolute http(s) URL";
        }

        if (!string.IsNullOrWhiteSpace(request.CallbackUrl) && !IsHttpUrl(request.CallbackUrl))
        {
            return "callback_url must be an absolute http(s) URL";
        }

        if (request.ValidationDatasetUrl is not null && !IsHttpUrl(request.ValidationDatasetUrl))
        {
            return "validation_dataset_url must be an absolute http(s) URL";
        }

        var h = request.Hyperparameters;
        if (h is null)
        {
            return "hyperparameters is required";
        }

        if (string.IsNullOrWhiteSpace(h.BaseModel))
        {
            return "hyperparameters.base_model is required";
        }

        if (ModelArchitectures.Find(h.BaseModel) is null)
        {
            return $"unsupported base_model '{h.BaseModel}'; supported: {string.Join(", ", ModelArchitectures.SupportedBaseModels)}";
        }

        string? range = null;
        if (!(h.LearningRate > 0 && h.LearningRate <= 1))
        {
            range = "hyperparameters.learning_rate must be in (0, 1]";
        }
        else if (h.BatchSize is < 1 or > 4096)
        {
            range = "hyperparameters.batch_size must be between 1 and 4096";
        }
        else if (h.NumEpochs is < 1 or > 1000)
        {
            range = "hyperparameters.num_epochs must be between 1 and 1000";
        }
        else if (h.LoraRank is < 1 or > 1024)
        {
            range = "hyperparameters.lora_rank must be between 1 and 1024";
        }
        else if (!(h.LoraAlpha > 0 && h.LoraAlpha <= 100_000))
        {
            range = "hyperparameters.lora_alpha must be positive";
        }
        else if (!(h.LoraDropout >= 0 && h.LoraDropout < 1))
        {
            range = "hyperparameters.lora_dropout must be in [0, 1)";
        }
        else if (h.WarmupSteps is < 0)
        {
            range = "hyperparameters.warmup_steps must not be negative";
        }
        else if (h.WeightDecay is { } decay && !(decay >= 0 && decay <= 10))
        {
            range = "hyperparameters.weight_decay must be between 0 and 10";
        }

        if (range is not null)
        {
            return range;
        }

        if (request.ValidationSplit is < 0.01 or > 0.5)
        {
            return "validation_split must be between 0.01 and 0.5";
        }

        if (request.Seed is < 0)
        {
            return "seed must not be negative";
        }

        var gpu = request.GpuConfig;
        if (gpu is null)
        {
            return "gpu_config is required";
        }

        if (string.IsNullOrWhiteSpace(gpu.GpuType))
        {
            return "gpu_config.gpu_type is required";
        }

        if (!settings.GpuThroughput.TryGetValue(gpu.GpuType, out var throughput) || !(throughput > 0))
        {
            return $"unsupported gpu_type '{gpu.GpuType}'; supported: {string.Join(", ", settings.GpuThroughput.Keys)}";
        }

        if (gpu.NumGpus is < 1 or > 64)
        {
            return "gpu_config.num_gpus must be between 1 and 64";
        }

        if (!(gpu.GpuMemoryGb > 0))
        {
            return "gpu_config.gpu_memory_gb must be positive";
        }

        if (!(gpu.CostPerGpuHour >= 0))
        {
            return "gpu_config.cost_per_gpu_hour must not be negative";
        }

        return null;
    }

    private static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    // ---------------- status / cancel ----------------

    public async Task<IResult> StatusAsync(HttpContext context, string externalJobId)
    {
        var cancellationToken = context.RequestAborted;
        var faults = options.CurrentValue.Faults;
        if (await InjectAsync("status_timeout", faults.StatusTimeoutRate, cancellationToken))
        {
            // hang like an overloaded gateway; the client's timeout (request abort) ends it early
            await Task.Delay(faults.StatusTimeoutDelay, TimeProvider.System, cancellationToken);
            return Error(StatusCodes.Status504GatewayTimeout, "GPU cluster status timed out (injected fault)");
        }

        if (await InjectAsync("status_failure", faults.StatusFailureRate, cancellationToken))
        {
            return Error(StatusCodes.Status500InternalServerError, "GPU cluster internal error (injected fault)");
        }

        var sinceText = context.Request.Query["since_step"].ToString();
        var since = 0;
        if (sinceText.Length > 0 && !int.TryParse(sinceText, NumberStyles.Integer, CultureInfo.InvariantCulture, out since))
        {
            return Error(StatusCodes.Status400BadRequest, "since_step must be an integer");
        }

        var job = await store.GetAsync(externalJobId, cancellationToken);
        var status = job is null ? null : StatusBuilder.Build(job, StatusBuilder.Now(clock), since);
        return status is null ? NotFound() : Results.Json(status, SimulatorJson.Options);
    }

    /// <summary>The job a submission with this idempotency key made, if any: how a client that gave up waiting finds out.</summary>
    public async Task<IResult> FindByKeyAsync(HttpContext context, string idempotencyKey)
    {
        var job = await store.FindByKeyAsync(idempotencyKey, context.RequestAborted);
        if (job is null)
        {
            return NotFound();
        }

        var snapshot = new JobSimulation(job).SnapshotAt(StatusBuilder.Now(clock));
        return snapshot.Lost ? NotFound() : Results.Json(new SubmitResponse(job.ExternalJobId, snapshot.Status), SimulatorJson.Options);
    }

    public async Task<IResult> CancelAsync(HttpContext context, string externalJobId)
    {
        var cancellationToken = context.RequestAborted;
        var job = await store.GetAsync(externalJobId, cancellationToken);
        if (job is null)
        {
            return NotFound();
        }

        var now = StatusBuilder.Now(clock);
        var snapshot = new JobSimulation(job).SnapshotAt(now);
        if (snapshot.Lost)
        {
            return NotFound();
        }

        if (!snapshot.IsTerminal)
        {
            job = await store.CancelAsync(externalJobId, now, cancellationToken) ?? job;
            snapshot = new JobSimulation(job).SnapshotAt(now);
            callbacks.Changed(job);
            logger.LogInformation("GPU simulator: job {ExternalJobId} cancelled at step {Step}", externalJobId, snapshot.CurrentStep);
        }

        return Results.Json(new CancelResponse(snapshot.Status), SimulatorJson.Options);
    }

    // ---------------- pause / resume ----------------

    /// <summary>Pause: a running job saves a checkpoint of its last completed step and releases its GPUs.</summary>
    public Task<IResult> PauseAsync(HttpContext context, string externalJobId) =>
        LifecycleCallAsync(context, externalJobId, (job, at) =>
        {
            var snapshot = new JobSimulation(job).SnapshotAt(at);
            return snapshot.Lost
                ? (null, NotFound())
                : snapshot.Status switch
                {
                    JobStatuses.Running => (new LifecycleCall(LifecycleCall.Pause, at), Results.Json(new PauseResponse(JobStatuses.Paused), SimulatorJson.Options)),
                    JobStatuses.Paused => (null, Results.Json(new PauseResponse(JobStatuses.Paused), SimulatorJson.Options)),
                    _ => (null, Error(StatusCodes.Status409Conflict, $"job is {snapshot.Status}: only a running job can be paused")),
                };
        });

    /// <summary>Resume: a paused or recovering job starts its next attempt from its latest checkpoint.</summary>
    public Task<IResult> ResumeAsync(HttpContext context, string externalJobId) =>
        LifecycleCallAsync(context, externalJobId, (job, at) =>
        {
            var snapshot = new JobSimulation(job).SnapshotAt(at);
            if (snapshot.Lost)
            {
                return (null, NotFound());
            }

            if (snapshot.IsTerminal)
            {
                return (null, Error(StatusCodes.Status409Conflict, $"job is {snapshot.Status}: an ended job cannot be resumed"));
            }

            LifecycleCall? call = null;
            if (snapshot.Status is JobStatuses.Paused or JobStatuses.Recovering)
            {
                call = new LifecycleCall(LifecycleCall.Resume, at);
                snapshot = new JobSimulation(job with { LifecycleCalls = [.. job.LifecycleCalls, call] }).SnapshotAt(at);
            }

            // already running (or not yet started): nothing to do, the answer describes the current attempt
            var attempt = snapshot.Attempts.Count > 0 ? snapshot.Attempts[^1] : null;
            return (call, Results.Json(new ResumeResponse(snapshot.Status, snapshot.Attempt, attempt?.FromStep ?? 0), SimulatorJson.Options));
        });

    private async Task<IResult> LifecycleCallAsync(
        HttpContext context, string externalJobId, Func<JobRecord, DateTimeOffset, (LifecycleCall? Call, IResult Answer)> decide)
    {
        LifecycleCall? recorded = null;
        var outcome = await store.DecideLifecycleCallAsync(externalJobId, StatusBuilder.Now(clock), (job, at) =>
        {
            var (call, answer) = decide(job, at);
            recorded = call;
            return (call, answer);
        }, context.RequestAborted);
        if (outcome is not { } decided)
        {
            return NotFound();
        }

        if (recorded is not null)
        {
            callbacks.Changed(decided.Job);
            var snapshot = new JobSimulation(decided.Job).SnapshotAt(recorded.At);
            logger.LogInformation("GPU simulator: job {ExternalJobId} {Action} at step {Step}: now {Status}, attempt {Attempt}",
                externalJobId, recorded.Action, snapshot.CurrentStep, snapshot.Status, snapshot.Attempt);
        }

        return decided.Result;
    }

    // ---------------- artifacts ----------------

    public async Task<IResult> ArtifactsAsync(HttpContext context, string externalJobId, string prefix)
    {
        var cancellationToken = context.RequestAborted;
        var checkpointText = context.Request.Query["checkpoint"].ToString();
        if (checkpointText.Length > 0)
        {
            return TryParseStep(checkpointText) is { } step
                ? await CheckpointArtifactsAsync(context, externalJobId, step, prefix)
                : Error(StatusCodes.Status400BadRequest, "checkpoint must be a step number");
        }

        var (job, simulation, problem) = await CompletedJobAsync(externalJobId, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var artifacts = new ArtifactSet(job!, simulation!);
        var manifest = await ManifestAsync(job!, artifacts, cancellationToken);
        return Listing(context, externalJobId, prefix, checkpoint: null, manifest, artifacts);
    }

    private async Task<IResult> CheckpointArtifactsAsync(HttpContext context, string externalJobId, int step, string prefix)
    {
        var cancellationToken = context.RequestAborted;
        var (job, simulation, checkpoint, problem) = await CheckpointAsync(externalJobId, step, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var artifacts = new ArtifactSet(job!, simulation!, checkpoint);
        var manifest = await CheckpointManifestAsync(job!, step, artifacts, cancellationToken);
        return Listing(context, externalJobId, prefix, step, manifest, artifacts);
    }

    private IResult Listing(
        HttpContext context, string externalJobId, string prefix, int? checkpoint, IReadOnlyList<ArtifactManifestEntry> manifest, ArtifactSet artifacts)
    {
        var request = context.Request;
        var baseUrl = $"{request.Scheme}://{request.Host}{request.PathBase}{prefix}/training/artifacts/{Uri.EscapeDataString(externalJobId)}/files/";
        var query = checkpoint is { } step ? $"checkpoint={step.ToString(CultureInfo.InvariantCulture)}&" : "";
        var key = options.CurrentValue.ApiKey;
        var files = manifest
            .Select(m => new ArtifactFileInfo(m.Name, m.Size, m.Sha256,
                $"{baseUrl}{Uri.EscapeDataString(m.Name)}?{query}token={DownloadToken(key, externalJobId, m.Name, checkpoint)}"))
            .ToList();
        var response = new ArtifactsResponse(
            files,
            files.ToDictionary(f => f.Name, f => f.DownloadUrl, StringComparer.Ordinal),
            artifacts.ModelMetadata());
        return Results.Json(response, SimulatorJson.Options);
    }

    /// <summary>A checkpoint step from a query string: a non-negative integer, or null.</summary>
    internal static int? TryParseStep(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step : null;

    public async Task<IResult> ArtifactFileAsync(HttpContext context, string externalJobId, string name, int? checkpoint)
    {
        var cancellationToken = context.RequestAborted;
        JobRecord job;
        ArtifactSet artifacts;
        DateTimeOffset? lastModified;
        string? knownSha256 = null;
        if (checkpoint is { } step)
        {
            var (found, simulation, saved, problem) = await CheckpointAsync(externalJobId, step, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            (job, artifacts, lastModified) = (found!, new ArtifactSet(found!, simulation!, saved), saved!.CreatedAt);
            knownSha256 = CheckpointManifestFromRow(job, step)?.FirstOrDefault(m => m.Name == name)?.Sha256;
        }
        else
        {
            var (found, simulation, problem) = await CompletedJobAsync(externalJobId, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            (job, artifacts, lastModified) = (found!, new ArtifactSet(found!, simulation!), simulation!.EndState().CompletedAt);
            if (job.ArtifactManifest is not null)
            {
                knownSha256 = ParseManifest(job.ArtifactManifest).FirstOrDefault(m => m.Name == name)?.Sha256;
            }
        }

        var file = artifacts.Find(name);
        if (file is null)
        {
            return Error(StatusCodes.Status404NotFound, $"artifact file '{name}' not found");
        }

        var faults = options.CurrentValue.Faults;
        var fileKey = checkpoint is { } s ? $"{externalJobId}/checkpoint-{s.ToString(CultureInfo.InvariantCulture)}/{name}" : $"{externalJobId}/{name}";
        var failFirst = faults.ArtifactFailuresPerFile > 0
            && _downloads.AddOrUpdate(fileKey, 1, (_, n) => n + 1) <= faults.ArtifactFailuresPerFile;
        if (await InjectAsync("artifact_failure", failFirst ? 1 : faults.ArtifactFailureRate, cancellationToken))
        {
            context.Response.Headers.RetryAfter = "1";
            return Error(StatusCodes.Status503ServiceUnavailable, "artifact storage temporarily unavailable (injected fault)");
        }

        if (faults.ArtifactStallsPerFile > 0 && _stalls.AddOrUpdate(fileKey, 1, (_, n) => n + 1) <= faults.ArtifactStallsPerFile)
        {
            await store.CountInjectedFaultAsync("artifact_stall", cancellationToken);
            return Results.Stream(new StallingStream(file.OpenRead(), context.RequestAborted), file.ContentType, fileDownloadName: name);
        }

        var etag = knownSha256 is null ? null : new EntityTagHeaderValue($"\"{knownSha256}\"");
        return Results.Stream(file.OpenRead(), file.ContentType, fileDownloadName: name, lastModified: lastModified,
            entityTag: etag, enableRangeProcessing: true);
    }

    /// <summary>A kept checkpoint of a known job, at this instant; 404 for an unknown (or lost) job or step.</summary>
    private async Task<(JobRecord? Job, JobSimulation? Simulation, SavedCheckpoint? Checkpoint, IResult? Problem)> CheckpointAsync(
        string externalJobId, int step, CancellationToken cancellationToken)
    {
        var job = await store.GetAsync(externalJobId, cancellationToken);
        if (job is null)
        {
            return (null, null, null, NotFound());
        }

        var simulation = new JobSimulation(job);
        var snapshot = simulation.SnapshotAt(StatusBuilder.Now(clock));
        if (snapshot.Lost)
        {
            return (null, null, null, NotFound());
        }

        var checkpoint = snapshot.Checkpoints.FirstOrDefault(c => c.Step == step);
        return checkpoint is null
            ? (null, null, null, Error(StatusCodes.Status404NotFound, $"no checkpoint at step {step.ToString(CultureInfo.InvariantCulture)}"))
            : (job, simulation, checkpoint, null);
    }

    private async Task<(JobRecord? Job, JobSimulation? Simulation, IResult? Problem)> CompletedJobAsync(
        string externalJobId, CancellationToken cancellationToken)
    {
        var job = await store.GetAsync(externalJobId, cancellationToken);
        if (job is null)
        {
            return (null, null, NotFound());
        }

        var simulation = new JobSimulation(job);
        var snapshot = simulation.SnapshotAt(StatusBuilder.Now(clock));
        if (snapshot.Lost)
        {
            return (null, null, NotFound());
        }

        return snapshot.Status != JobStatuses.Completed
            ? (null, null, Error(StatusCodes.Status409Conflict, "job is not completed"))
            : (job, simulation, null);
    }

    /// <summary>
    /// Sizes and SHA-256 of the artifact files. Computing them means generating every file once (the adapter can
    /// be hundreds of megabytes), so the result is stored in the job's row; concurrent computations in one process
    /// share one task, and computations in several processes write the same value.
    /// </summary>
    private async Task<IReadOnlyList<ArtifactManifestEntry>> ManifestAsync(JobRecord job, ArtifactSet artifacts, CancellationToken cancellationToken)
    {
        if (job.ArtifactManifest is not null)
        {
            return ParseManifest(job.ArtifactManifest);
        }

        var lazy = _manifests.GetOrAdd(job.ExternalJobId, _ => new Lazy<Task<IReadOnlyList<ArtifactManifestEntry>>>(async () =>
        {
            var manifest = await artifacts.ComputeManifestAsync(CancellationToken.None);
            await store.SaveArtifactManifestAsync(job.ExternalJobId, JsonSerializer.Serialize(manifest, SimulatorJson.Options), CancellationToken.None);
            return manifest;
        }));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        finally
        {
            if (lazy.Value.IsCompleted)
            {
                _manifests.TryRemove(new KeyValuePair<string, Lazy<Task<IReadOnlyList<ArtifactManifestEntry>>>>(job.ExternalJobId, lazy));
            }
        }
    }

    private static IReadOnlyList<ArtifactManifestEntry> ParseManifest(string json) =>
        JsonSerializer.Deserialize<List<ArtifactManifestEntry>>(json, SimulatorJson.Options) ?? [];

    private static IReadOnlyList<ArtifactManifestEntry>? CheckpointManifestFromRow(JobRecord job, int step)
    {
        if (string.IsNullOrEmpty(job.CheckpointManifests))
        {
            return null;
        }

        var all = JsonSerializer.Deserialize<Dictionary<string, List<ArtifactManifestEntry>>>(job.CheckpointManifests, SimulatorJson.Options);
        return all is not null && all.TryGetValue(step.ToString(CultureInfo.InvariantCulture), out var manifest) ? manifest : null;
    }

    /// <summary>
    /// Sizes and SHA-256 of a checkpoint's files, cached in the row like the final manifest (a checkpoint's files
    /// depend only on the job and the step, so the value never changes).
    /// </summary>
    private async Task<IReadOnlyList<ArtifactManifestEntry>> CheckpointManifestAsync(
        JobRecord job, int step, ArtifactSet artifacts, CancellationToken cancellationToken)
    {
        if (CheckpointManifestFromRow(job, step) is { } cached)
        {
            return cached;
        }

        var key = $"{job.ExternalJobId}#checkpoint-{step.ToString(CultureInfo.InvariantCulture)}";
        var lazy = _manifests.GetOrAdd(key, _ => new Lazy<Task<IReadOnlyList<ArtifactManifestEntry>>>(async () =>
        {
            var manifest = await artifacts.ComputeManifestAsync(CancellationToken.None);
            await store.SaveCheckpointManifestAsync(job.ExternalJobId, step, JsonSerializer.Serialize(manifest, SimulatorJson.Options), CancellationToken.None);
            return manifest;
        }));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        finally
        {
            if (lazy.Value.IsCompleted)
            {
                _manifests.TryRemove(new KeyValuePair<string, Lazy<Task<IReadOnlyList<ArtifactManifestEntry>>>>(key, lazy));
            }
        }
    }

    /// <summary>
    /// Token that lets a download URL work without the bearer key, like a pre-signed URL: an HMAC (keyed with the
    /// ApiKey) of the job, the file and, for a checkpoint's file, the checkpoint, so a URL cannot be moved to another
    /// job, file or checkpoint (nor a final file's URL to a checkpoint's, or back).
    /// </summary>
    internal static string DownloadToken(string apiKey, string externalJobId, string name, int? checkpoint = null)
    {
        var subject = checkpoint is { } step
            ? $"{externalJobId}/checkpoint-{step.ToString(CultureInfo.InvariantCulture)}/{name}"
            : $"{externalJobId}/{name}";
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(apiKey), Encoding.UTF8.GetBytes(subject)))[..32];
    }

    private static bool Hit(double rate) => rate > 0 && Random.Shared.NextDouble() < rate;

    /// <summary>Whether to inject a fault of this kind now; an injected one is counted in the store.</summary>
    private async Task<bool> InjectAsync(string kind, double rate, CancellationToken cancellationToken)
    {
        if (!Hit(rate))
        {
            return false;
        }

        await store.CountInjectedFaultAsync(kind, cancellationToken);
        return true;
    }
}
