using System.Security.Claims;
using LoraPipeline.OpenAi.Errors;
using LoraPipeline.Platform.Http;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace LoraPipeline.OpenAi.FineTuning;

/// <summary>OpenAI's fine-tuning jobs: create, list (cursor pages, metadata filter), retrieve, cancel, pause, resume.</summary>
public static class FineTuningJobEndpoints
{
    [WolverinePost("/v1/fine_tuning/jobs", OperationId = "OpenAiCreateFineTuningJob"), Tags("OpenAI-compatible")]
    public static async Task<IResult> Create(CreateFineTuningJobBody body, ClaimsPrincipal caller, ITrainingJobCommands jobs, CancellationToken ct)
    {
        var order = FineTuningOrder.From(body);
        if (!jobs.BaseModels.Contains(body.Model!))
        {
            throw OpenAiException.BadRequest(
                $"Model '{body.Model}' cannot be fine-tuned here; choose one of {string.Join(", ", jobs.BaseModels.Order())} (GET /v1/models).",
                "model", "model_not_available");
        }

        try
        {
            return Json(await jobs.CreateAsync(caller.UserId(), order, ct));
        }
        catch (ApiProblemException problem)
        {
            throw NativeRefusals.ForCreate(problem, body.Method?.Supervised?.Hyperparameters is null ? "hyperparameters" : "method.supervised.hyperparameters");
        }
    }

    /// <summary>The caller's jobs, newest first; <c>metadata[key]=value</c> keeps the jobs with those pairs, <c>metadata=null</c> those without any.</summary>
    [WolverineGet("/v1/fine_tuning/jobs", OperationId = "OpenAiListFineTuningJobs"), Tags("OpenAI-compatible")]
    public static async Task<IResult> List(
        string? after, int? limit, HttpRequest request, ClaimsPrincipal caller, ITrainingJobCommands jobs, CancellationToken ct)
    {
        var size = OpenAiList<FineTuningJobObject>.Limit(limit, 100, 20);
        var wanted = request.Query
            .Where(q => q.Key.StartsWith("metadata[", StringComparison.Ordinal) && q.Key.EndsWith(']'))
            .ToDictionary(q => q.Key["metadata[".Length..^1], q => q.Value.ToString());
        var withoutMetadata = request.Query.TryGetValue("metadata", out var bare) && bare.ToString() == "null";
        var all = (await jobs.ListAsync(caller.UserId(), ct))
            .Where(j => withoutMetadata
                ? j.Extras.Metadata is not { Count: > 0 }
                : wanted.All(w => j.Extras.Metadata?.TryGetValue(w.Key, out var value) == true && value == w.Value))
            .Select(FineTuningJobObject.From)
            .ToList();
        return Results.Json(OpenAiList<FineTuningJobObject>.Page(all, j => j.Id, after, size), OpenAiJson.Options);
    }

    [WolverineGet("/v1/fine_tuning/jobs/{fine_tuning_job_id}", OperationId = "OpenAiGetFineTuningJob"), Tags("OpenAI-compatible")]
    public static async Task<IResult> Get(string fine_tuning_job_id, ClaimsPrincipal caller, ITrainingJobCommands jobs, CancellationToken ct) =>
        Json(await FindAsync(fine_tuning_job_id, caller, jobs, ct));

    [WolverinePost("/v1/fine_tuning/jobs/{fine_tuning_job_id}/cancel", OperationId = "OpenAiCancelFineTuningJob"), Tags("OpenAI-compatible")]
    public static Task<IResult> Cancel(string fine_tuning_job_id, ClaimsPrincipal caller, ITrainingJobCommands jobs, CancellationToken ct) =>
        ChangeAsync(fine_tuning_job_id, caller, jobs, jobs.CancelAsync, ct);

    /// <summary>Pause a running job: it saves a checkpoint and stops costing until resumed.</summary>
    [WolverinePost("/v1/fine_tuning/jobs/{fine_tuning_job_id}/pause", OperationId = "OpenAiPauseFineTuningJob"), Tags("OpenAI-compatible")]
    public static Task<IResult> Pause(string fine_tuning_job_id, ClaimsPrincipal caller, ITrainingJobCommands jobs, CancellationToken ct) =>
        ChangeAsync(fine_tuning_job_id, caller, jobs, jobs.PauseAsync, ct);

    [WolverinePost("/v1/fine_tuning/jobs/{fine_tuning_job_id}/resume", OperationId = "OpenAiResumeFineTuningJob"), Tags("OpenAI-compatible")]
    public static Task<IResult> Resume(string fine_tuning_job_id, ClaimsPrincipal caller, ITrainingJobCommands jobs, CancellationToken ct) =>
        ChangeAsync(fine_tuning_job_id, caller, jobs, jobs.ResumeAsync, ct);

    /// <summary>The caller's job, or a 404 naming the id (another user's job included).</summary>
    internal static async Task<JobSnapshot> FindAsync(string id, ClaimsPrincipal caller, ITrainingJobCommands jobs, CancellationToken ct) =>
        OpenAiIds.TryParse(id, OpenAiIds.Job, out var jobId) && await jobs.FindAsync(caller.UserId(), jobId.Value, ct) is { } job
            ? job
            : throw OpenAiException.NotFound("fine-tuning job", id, "fine_tuning_job_id");

    private static async Task<IResult> ChangeAsync(
        string id, ClaimsPrincipal caller, ITrainingJobCommands jobs, Func<Guid, Guid, CancellationToken, Task<JobSnapshot>> change, CancellationToken ct)
    {
        var job = await FindAsync(id, caller, jobs, ct);
        try
        {
            return Json(await change(caller.UserId(), job.Id, ct));
        }
        catch (ApiProblemException problem) when (problem.Status == StatusCodes.Status409Conflict)
        {
            // asking again will not change an ended job: a 400, which the SDKs raise at once instead of retrying a 409
            throw OpenAiException.BadRequest(problem.Message, "fine_tuning_job_id", "invalid_job_status");
        }
    }

    private static IResult Json(JobSnapshot job) => Results.Json(FineTuningJobObject.From(job), OpenAiJson.Options);
}
