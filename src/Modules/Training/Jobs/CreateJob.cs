using System.Security.Claims;
using LoraPipeline.Datasets.Contracts;
using LoraPipeline.Platform;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.Configuration;
using LoraPipeline.Training.Contracts;
using LoraPipeline.Training.Execution;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Http;

namespace LoraPipeline.Training.Jobs;

/// <summary>
/// Start a job's stream and queue its submission, in one transaction. A job id derived from an
/// idempotency key may already exist (<paramref name="MayExist"/>); a fresh one cannot.
/// </summary>
public sealed record QueueTrainingJob(TrainingJobQueued Queued, bool MayExist);

/// <summary>The job id, and whether it already existed (a retried create).</summary>
public sealed record QueuedJob(Guid JobId, bool AlreadyExisted);

public static class QueueTrainingJobHandler
{
    /// <summary>
    /// Idempotent: a job id derived from an idempotency key that already has a stream is returned
    /// as it is. Two creates racing with one key both try to start the same stream; the loser's
    /// commit fails, is retried, and finds the winner's job.
    /// </summary>
    public static async Task<QueuedJob> Handle(QueueTrainingJob command, IDocumentSession session, IMessageBus bus, CancellationToken ct)
    {
        var jobId = command.Queued.JobId;
        if (command.MayExist && await session.Events.FetchStreamStateAsync(jobId, ct) is not null)
        {
            return new QueuedJob(jobId, AlreadyExisted: true);
        }

        session.Events.StartStream<TrainingJob>(jobId, command.Queued);
        await bus.PublishAsync(new SubmitTrainingJob(jobId, Attempt: 1));
        return new QueuedJob(jobId, AlreadyExisted: false);
    }
}

public static class CreateJobEndpoint
{
    public const int MaxIdempotencyKeyLength = 200;

    /// <summary>
    /// Queue a training job on a ready dataset of the caller. With an <c>Idempotency-Key</c> header a
    /// retried create answers the same job (header <c>Idempotency-Replayed: true</c>) instead of a
    /// second one; the same key with a different request is a 422.
    /// </summary>
    [WolverinePost("/api/jobs", OperationId = "CreateJob"), Tags("Jobs")]
    [ProducesResponseType<ApiResponse<JobView>>(StatusCodes.Status201Created)]
    public static async Task<IResult> Create(
        CreateJobRequest body, HttpContext http, ClaimsPrincipal caller, IMessageBus bus, IDocumentSession session,
        IDatasetCatalog datasets, IJobAdmission admission, IOptions<GpuCatalogueOptions> catalogue, IOptions<TrainingOptions> training,
        TimeProvider clock, CancellationToken ct)
    {
        var userId = caller.UserId();
        var key = IdempotencyKey(http);
        var order = await JobOrders.ResolveAsync(userId, body, datasets, catalogue.Value, training.Value, ct);
        var jobId = key is null ? Guid.NewGuid() : DeterministicGuid.From("training-job", userId.ToString(), key);

        if (key is not null && await session.LoadAsync<TrainingJob>(jobId, ct) is { } earlier)
        {
            return Replay(http, earlier, order.Fingerprint);
        }

        var queued = await JobOrders.AdmitAsync(userId, jobId, order, key, session, training.Value, admission, clock.GetUtcNow(), ct);
        if (key is null)
        {
            // a fresh id cannot collide: start the stream in this request's own outboxed session
            await QueueTrainingJobHandler.Handle(new QueueTrainingJob(queued, MayExist: false), session, bus, ct);
        }
        else if ((await bus.InvokeAsync<QueuedJob>(new QueueTrainingJob(queued, MayExist: true), ct)).AlreadyExisted)
        {
            // the handler's own transaction, retried when a create with the same key wins the race
            return Replay(http, (await session.LoadAsync<TrainingJob>(jobId, ct))!, order.Fingerprint);
        }

        // the view of a new job is what its first event makes of it: no need to read it back
        return Api.Created($"/api/jobs/{jobId}", JobView.From(TrainingJobProjection.FromQueued(queued, queued.QueuedAt)));
    }

    private static IResult Replay(HttpContext http, TrainingJob job, string fingerprint)
    {
        if (job.RequestFingerprint != fingerprint)
        {
            throw new ApiProblemException(StatusCodes.Status422UnprocessableEntity, "Idempotency key reused",
                "This Idempotency-Key was already used for a different job request; use a new key for a new job.", new { job_id = job.Id });
        }

        http.Response.Headers["Idempotency-Replayed"] = "true";
        return Api.Created($"/api/jobs/{job.Id}", JobView.From(job));
    }

    private static string? IdempotencyKey(HttpContext http)
    {
        var values = http.Request.Headers["Idempotency-Key"];
        if (values.Count == 0)
        {
            return null;
        }

        var key = values.ToString().Trim();
        if (values.Count > 1 || key.Length is 0 or > MaxIdempotencyKeyLength || key.Any(char.IsControl))
        {
            throw ApiProblems.BadRequest("Invalid Idempotency-Key", $"Send one Idempotency-Key of 1 to {MaxIdempotencyKeyLength} printable characters.");
        }

        return key;
    }
}

public static class EstimateEndpoint
{
    /// <summary>
    /// E03's cost and duration estimate for a configuration on one of the caller's ready datasets, itemised (lines whose
    /// costs add up to the total), with the trained tokens, the throughput rule, and whether the budget admits the job.
    /// </summary>
    [WolverinePost("/api/jobs/estimate", OperationId = "EstimateJob"), Tags("Jobs")]
    public static async Task<ApiResponse<CostEstimate>> Estimate(
        EstimateRequest body, ClaimsPrincipal caller, IDatasetCatalog datasets, IJobAdmission admission, IOptions<GpuCatalogueOptions> catalogue,
        IOptions<TrainingOptions> training, CancellationToken ct)
    {
        var userId = caller.UserId();
        var request = await JobRequestResolver.ResolveAsync(
            userId, body.DatasetId, body.PresetId, body.GpuConfig, body.Hyperparameters, datasets, catalogue.Value, training.Value, ct, body.ValidationSplit,
            body.ValidationDatasetId);
        // Together's estimate answers whether the job may start: the same admission rule a create applies (the budget's hard limit)
        var refusal = await admission.RefuseAsync(userId, request.Estimate.EstimatedCost, ct);
        var left = await admission.BudgetLeftAsync(userId, ct);
        return Api.Ok(request.Estimate with
        {
            AllowedToProceed = refusal is null,
            Reason = BudgetReasons.ForEstimate(request.Estimate.EstimatedCost, refusal is null, left),
            BudgetRemaining = left,
        });
    }
}

/// <summary>The estimate's budget answer in words for the person at the Start button (the create's 402 keeps the API's own words).</summary>
internal static class BudgetReasons
{
    public static string ForEstimate(decimal estimatedCost, bool allowed, decimal? left) => (allowed, left) switch
    {
        (true, null) => "Within budget: no hard monthly limit applies to this job.",
        (true, { } l) => $"Within budget: this job's estimated ${estimatedCost:0.00} fits in the ${l:0.00} your hard monthly limit leaves this month.",
        (false, 0m or null) =>
            "Your hard monthly limit is already used up this month (spending so far plus what unfinished jobs are expected to cost). " +
            "Raise the limit on the Costs page or wait for running jobs to finish.",
        (false, { } l) =>
            $"This job's estimated ${estimatedCost:0.00} is more than the ${l:0.00} your hard monthly limit leaves this month " +
            "(after spending so far and what unfinished jobs are expected to cost). " +
            "Raise the limit on the Costs page, or choose fewer epochs, fewer GPUs or a cheaper GPU.",
    };
}
