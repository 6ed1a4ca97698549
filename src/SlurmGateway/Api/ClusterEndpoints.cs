using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LoraPipeline.SlurmGateway.Jobs;
using LoraPipeline.SlurmGateway.Slurm;
using Microsoft.Extensions.Options;

namespace LoraPipeline.SlurmGateway.Api;

/// <summary>The cluster contract v2 (docs/cluster-contract.md) over the job folders and Slurm.</summary>
internal static class ClusterEndpoints
{
    public static void MapClusterContract(this WebApplication app)
    {
        app.MapGet("/health", () => Results.Json(new { status = "ok" }));
        var api = app.MapGroup("/training").AddEndpointFilter(RequireClusterKey);
        api.MapPost("/submit", SubmitAsync);
        api.MapGet("/status/{id}", Status);
        api.MapGet("/jobs/by-key/{key}", FindByKey);
        api.MapPost("/cancel/{id}", CancelAsync);
        api.MapPost("/pause/{id}", PauseAsync);
        api.MapPost("/resume/{id}", ResumeAsync);
        api.MapGet("/artifacts/{id}", Artifacts);
        // the signed link is the credential: no cluster key (the platform's downloader sends none)
        app.MapGet("/files/{id}/{file}", Download);
    }

    private static IResult Error(int status, string message) => Results.Json(new ErrorResponse(message), WireJson.Options, statusCode: status);

    private static async ValueTask<object?> RequireClusterKey(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var expected = context.HttpContext.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.ApiKey;
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        var given = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header[7..] : "";
        var ok = CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
        return ok ? await next(context) : Error(401, "a valid cluster key is required (Authorization: Bearer <key>)");
    }

    private static async Task<IResult> SubmitAsync(HttpRequest http, JobSubmitter submitter, TimeProvider clock, CancellationToken cancellationToken)
    {
        SubmitRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<SubmitRequest>(http.Body, WireJson.Options, cancellationToken);
        }
        catch (JsonException e)
        {
            return Error(400, $"the body is not a submit request: {e.Message}");
        }

        if (request is null)
        {
            return Error(400, "the body is not a submit request");
        }

        if (Guid.TryParse(http.Headers["Idempotency-Key"].ToString(), out var key) && request.JobId is null)
        {
            request = request with { JobId = key };
        }

        try
        {
            var (state, created) = await submitter.SubmitAsync(request, cancellationToken);
            var status = StatusComposer.StatusOf(state, TrainerProgress.Read(http.HttpContext.RequestServices.GetRequiredService<JobFolders>().Folder(state.JobId)));
            return Results.Json(new SubmitResponse(state.ExternalJobId, status), WireJson.Options, statusCode: created ? 201 : 200);
        }
        catch (BadSubmitException e)
        {
            return Error(400, e.Message);
        }
        catch (DatasetUnusableException e)
        {
            return Error(422, e.Message);
        }
        catch (SlurmRefusedException e)
        {
            return Error(503, e.Message);
        }
        catch (HttpRequestException e)
        {
            return Error(503, "the cluster cannot take the job now: " + e.Message);
        }
    }

    /// <summary>The job a submission with this idempotency key (our job id) made: its folder, if one was written.</summary>
    private static IResult FindByKey(string key, JobFolders folders)
    {
        if (!Guid.TryParse(key, out var jobId) || folders.Load(jobId) is not { } state)
        {
            return Error(404, $"no job was submitted with the key {key}");
        }

        return Results.Json(new SubmitResponse(state.ExternalJobId, StatusComposer.StatusOf(state, TrainerProgress.Read(folders.Folder(jobId)))), WireJson.Options);
    }

    private static IResult Status(string id, int? since_step, JobFolders folders, TimeProvider clock)
    {
        if (!ExternalIds.TryParse(id, out var jobId) || folders.Load(jobId) is not { } state)
        {
            return Error(404, $"no job {id}");
        }

        return Results.Json(StatusComposer.Compose(state, TrainerProgress.Read(folders.Folder(jobId)), since_step ?? 0, clock.GetUtcNow()), WireJson.Options);
    }

    private static async Task<IResult> CancelAsync(string id, JobFolders folders, SlurmRestClient slurm, CancellationToken cancellationToken)
    {
        if (!ExternalIds.TryParse(id, out var jobId))
        {
            return Error(404, $"no job {id}");
        }

        using var held = await folders.LockAsync(jobId, cancellationToken);
        if (folders.Load(jobId) is not { } state)
        {
            return Error(404, $"no job {id}");
        }

        if (state.Final is { } final)
        {
            return Results.Json(new StatusOnly(final), WireJson.Options);
        }

        // recorded first: whatever Slurm says next (CANCELLED, or a trainer that exits 75 on the SIGTERM), it is a cancel
        folders.Save(state with { CancelRequested = true });
        if (state.CurrentSlurmJobId is { } slurmJobId)
        {
            await slurm.CancelAsync(slurmJobId, cancellationToken);
        }

        return Results.Json(new StatusOnly(Phases.Cancelled), WireJson.Options);
    }

    private static async Task<IResult> PauseAsync(string id, JobFolders folders, SlurmRestClient slurm, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!ExternalIds.TryParse(id, out var jobId))
        {
            return Error(404, $"no job {id}");
        }

        using var held = await folders.LockAsync(jobId, cancellationToken);
        if (folders.Load(jobId) is not { } state)
        {
            return Error(404, $"no job {id}");
        }

        var status = StatusComposer.StatusOf(state, TrainerProgress.Read(folders.Folder(jobId)));
        if (status == Phases.Paused)
        {
            // a retried pause (the first one's cancel may have failed on the way): stopping the Slurm job again is harmless
            await slurm.CancelAsync(state.CurrentSlurmJobId!.Value, cancellationToken);
            return Results.Json(new StatusOnly(Phases.Paused), WireJson.Options);
        }

        // an open attempt is a trainer on GPUs, whether it has reported its first step yet or not (the platform may
        // have seen that step through a fresher read of progress.jsonl than the monitor's last cycle)
        if (status != Phases.Running && !(status == Phases.Initializing && state.OpenAttempt is not null))
        {
            return Error(409, $"only a running job can be paused; this one is {status}");
        }

        // Slurm's cancel sends SIGTERM first: the trainer saves a checkpoint of its last step and exits, the GPUs are released
        // the attempt ends now (the trainer stops within a step of the SIGTERM): a resume before the monitor has seen
        // Slurm's end must neither leave it open nor bill the paused time
        folders.Save(state with { Paused = true, Attempts = SlurmObservation.Close(state.Attempts, clock.GetUtcNow(), Phases.Paused) });
        await slurm.CancelAsync(state.CurrentSlurmJobId!.Value, cancellationToken);
        return Results.Json(new StatusOnly(Phases.Paused), WireJson.Options);
    }

    private static async Task<IResult> ResumeAsync(string id, JobFolders folders, JobSubmitter submitter, CancellationToken cancellationToken)
    {
        if (!ExternalIds.TryParse(id, out var jobId))
        {
            return Error(404, $"no job {id}");
        }

        using var held = await folders.LockAsync(jobId, cancellationToken);
        if (folders.Load(jobId) is not { } state)
        {
            return Error(404, $"no job {id}");
        }

        var progress = TrainerProgress.Read(folders.Folder(jobId));
        var status = StatusComposer.StatusOf(state, progress);
        var fromStep = progress.Checkpoints.Count > 0 ? progress.Checkpoints[^1].Step : 0;
        if (status is Phases.Completed or Phases.Failed or Phases.Cancelled)
        {
            return Error(409, $"the job has ended ({status})");
        }

        // paused, or preempted without Slurm's requeue: a new Slurm job on the same folder, which resumes from the checkpoint
        // (a job Slurm requeued restarts by itself: nothing to do)
        if (status == Phases.Paused || (status == Phases.Recovering && state.AwaitingResume))
        {
            try
            {
                state = await submitter.SubmitAgainAsync(state, cancellationToken);
            }
            catch (SlurmRefusedException e)
            {
                return Error(e.IsRequestError ? 409 : 503, e.Message);
            }

            folders.Save(state);
        }

        return Results.Json(new ResumeResponse(Phases.Initializing, state.Attempts.Count + (state.OpenAttempt is null ? 1 : 0), fromStep), WireJson.Options);
    }

    private static IResult Artifacts(string id, int? checkpoint, HttpRequest http, JobFolders folders, DownloadLinks links)
    {
        if (!ExternalIds.TryParse(id, out var jobId) || folders.Load(jobId) is not { } state)
        {
            return Error(404, $"no job {id}");
        }

        string directory;
        IReadOnlyList<string> names;
        if (checkpoint is { } step)
        {
            directory = Path.Combine(folders.Folder(jobId), "checkpoints", $"step-{step.ToString(CultureInfo.InvariantCulture)}");
            if (!TrainerProgress.Read(folders.Folder(jobId)).Checkpoints.Any(c => c.Step == step))
            {
                return Error(404, $"no checkpoint at step {step} is kept");
            }

            names = JobFolders.CheckpointFiles;
        }
        else
        {
            if (state.Final != Phases.Completed)
            {
                return Error(409, $"the job has no final files ({state.Final ?? "not ended"})");
            }

            directory = folders.Folder(jobId);
            names = JobFolders.FinalFiles;
        }

        var baseUrl = $"{http.Scheme}://{http.Host}{http.PathBase}/files/{id}/";
        var files = names.Where(n => File.Exists(Path.Combine(directory, n))).Select(n =>
        {
            var path = Path.Combine(directory, n);
            using var stream = File.OpenRead(path);
            return new ArtifactFileInfo(n, stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)), baseUrl + Uri.EscapeDataString(n) + "?" + links.Query(id, checkpoint, n));
        }).ToList();
        var metadata = new Dictionary<string, object?>
        {
            ["base_model"] = state.BaseModel,
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["rank"] = state.LoraRank,
            ["alpha"] = state.LoraAlpha,
            ["dropout"] = state.LoraDropout,
            ["format"] = "safetensors",
            ["num_epochs"] = state.TotalEpochs,
            ["files"] = files.ToDictionary(f => f.Name, f => (object)new { size = f.Size, sha256 = f.Sha256 }),
        };
        if (checkpoint is { } s)
        {
            metadata["checkpoint_step"] = s;
        }

        return Results.Json(new ArtifactsResponse(files, files.ToDictionary(f => f.Name, f => f.DownloadUrl), metadata), WireJson.Options);
    }

    private static IResult Download(string id, string file, int? checkpoint, long? expires, string? sig, JobFolders folders, DownloadLinks links)
    {
        var allowed = checkpoint is null ? JobFolders.FinalFiles : JobFolders.CheckpointFiles;
        if (!ExternalIds.TryParse(id, out var jobId) || !allowed.Contains(file) || expires is null || !links.IsValid(id, checkpoint, file, expires.Value, sig))
        {
            return Error(404, "no such file, or the link has expired");
        }

        var directory = checkpoint is { } step
            ? Path.Combine(folders.Folder(jobId), "checkpoints", $"step-{step.ToString(CultureInfo.InvariantCulture)}")
            : folders.Folder(jobId);
        var path = Path.Combine(directory, file);
        return File.Exists(path) ? Results.File(path, "application/octet-stream", enableRangeProcessing: true) : Error(404, "no such file");
    }
}
