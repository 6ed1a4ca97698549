using System.Security.Claims;
using LoraPipeline.OpenAi.Errors;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace LoraPipeline.OpenAi.FineTuning;

/// <summary>OpenAI's job event: a sentence (<c>type</c> message) or a metric point (<c>type</c> metrics, with <c>data</c>).</summary>
internal sealed record JobEventObject(string Id, long CreatedAt, string Level, string Message, string Type, object? Data)
{
    public string Object => "fine_tuning.job.event";
}

internal sealed record CheckpointObject(
    string Id, long CreatedAt, string FineTunedModelCheckpoint, string FineTuningJobId, CheckpointMetrics Metrics, int StepNumber)
{
    public string Object => "fine_tuning.job.checkpoint";
}

internal sealed record CheckpointMetrics(int Step, double? TrainLoss, double? ValidLoss);

/// <summary>A job's events and checkpoints, newest first, in OpenAI's cursor pages.</summary>
public static class JobHistoryEndpoints
{
    [WolverineGet("/v1/fine_tuning/jobs/{fine_tuning_job_id}/events", OperationId = "OpenAiListFineTuningEvents"), Tags("OpenAI-compatible")]
    public static async Task<IResult> Events(
        string fine_tuning_job_id, string? after, int? limit, ClaimsPrincipal caller, ITrainingJobCommands jobs, CancellationToken ct)
    {
        var size = OpenAiList<JobEventObject>.Limit(limit, 1000, 20);
        var job = await FineTuningJobEndpoints.FindAsync(fine_tuning_job_id, caller, jobs, ct);
        var timeline = await jobs.TimelineAsync(caller.UserId(), job.Id, ct) ?? throw OpenAiException.NotFound("fine-tuning job", fine_tuning_job_id);
        var events = timeline.Reverse().Select(e => new JobEventObject(
            OpenAiIds.ForEvent(job.Id, e.Id), OpenAiIds.Unix(e.At), e.Level, e.Message, e.Metrics is null ? "message" : "metrics",
            e.Metrics is { } p
                ? new { step = p.Step, epoch = p.Epoch, total_steps = job.TotalSteps, train_loss = p.TrainingLoss, valid_loss = p.ValidationLoss, learning_rate = p.LearningRate }
                : new { })).ToList();
        return Results.Json(OpenAiList<JobEventObject>.Page(events, e => e.Id, after, size), OpenAiJson.Options);
    }

    [WolverineGet("/v1/fine_tuning/jobs/{fine_tuning_job_id}/checkpoints", OperationId = "OpenAiListFineTuningCheckpoints"), Tags("OpenAI-compatible")]
    public static async Task<IResult> Checkpoints(
        string fine_tuning_job_id, string? after, int? limit, ClaimsPrincipal caller, ITrainingJobCommands jobs, CancellationToken ct)
    {
        var size = OpenAiList<CheckpointObject>.Limit(limit, 100, 10);
        var job = await FineTuningJobEndpoints.FindAsync(fine_tuning_job_id, caller, jobs, ct);
        var checkpoints = await jobs.CheckpointsAsync(caller.UserId(), job.Id, ct) ?? [];
        var objects = checkpoints.Reverse().Select(c => new CheckpointObject(
            OpenAiIds.ForCheckpoint(job.Id, c.Step), OpenAiIds.Unix(c.CreatedAt), ModelNames.Checkpoint(job, c.Step), OpenAiIds.ForJob(job.Id),
            new CheckpointMetrics(c.Step, c.TrainingLoss, c.ValidationLoss), c.Step)).ToList();
        return Results.Json(OpenAiList<CheckpointObject>.Page(objects, c => c.Id, after, size), OpenAiJson.Options);
    }
}
