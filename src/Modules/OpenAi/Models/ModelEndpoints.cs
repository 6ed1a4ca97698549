using System.Security.Claims;
using LoraPipeline.Artifacts.Contracts;
using LoraPipeline.OpenAi.Errors;
using LoraPipeline.Platform.Identity;
using LoraPipeline.Training.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Wolverine.Http;

namespace LoraPipeline.OpenAi.Models;

internal sealed record ModelObject(string Id, long Created, string OwnedBy)
{
    public string Object => "model";
}

internal sealed record ModelList(IReadOnlyList<ModelObject> Data)
{
    public string Object => "list";
}

/// <summary>The base models a job can train, then the caller's fine-tuned models (those whose adapter was collected).</summary>
public static class ModelEndpoints
{
    public const string BaseOwner = "lorapipeline";
    public const string UserOwner = "user";

    [WolverineGet("/v1/models", OperationId = "OpenAiListModels"), Tags("OpenAI-compatible")]
    public static async Task<IResult> List(ClaimsPrincipal caller, ITrainingJobCommands jobs, IModelCatalog models, CancellationToken ct)
    {
        var all = jobs.BaseModels.Order().Select(m => new ModelObject(m, 0, BaseOwner)).ToList();
        var trained = await models.ListAsync(caller.UserId(), ct);
        var jobsById = (await jobs.ListAsync(caller.UserId(), ct)).ToDictionary(j => j.Id);
        all.AddRange(trained
            .Where(m => jobsById.ContainsKey(m.JobId))
            .Select(m => new ModelObject(ModelNames.FineTuned(jobsById[m.JobId]), OpenAiIds.Unix(m.CreatedAt), UserOwner)));
        return Results.Json(new ModelList(all), OpenAiJson.Options);
    }

    /// <summary>One model by name; base model names contain a slash, so the route takes the rest of the path.</summary>
    [WolverineGet("/v1/models/{**model}", OperationId = "OpenAiGetModel"), Tags("OpenAI-compatible")]
    public static async Task<IResult> Get(string model, ClaimsPrincipal caller, ITrainingJobCommands jobs, IModelCatalog models, CancellationToken ct)
    {
        var name = Uri.UnescapeDataString(model);
        if (jobs.BaseModels.Contains(name))
        {
            return Results.Json(new ModelObject(name, 0, BaseOwner), OpenAiJson.Options);
        }

        if (ModelNames.TryParseJob(name, out var jobId)
            && await jobs.FindAsync(caller.UserId(), jobId, ct) is { ArtifactId: { } artifactId } job
            && ModelNames.FineTuned(job) == name
            && await models.FindAsync(caller.UserId(), artifactId, ct) is { } found)
        {
            return Results.Json(new ModelObject(name, OpenAiIds.Unix(found.CreatedAt), UserOwner), OpenAiJson.Options);
        }

        throw new OpenAiException(404, $"The model '{name}' does not exist or you do not have access to it.", "model", "model_not_found");
    }
}
