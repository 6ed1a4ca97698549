using LoraPipeline.OpenAi.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Wolverine;

namespace LoraPipeline.OpenAi;

/// <summary>
/// OpenAI's fine-tuning API under <c>/v1</c> (files, fine-tuning jobs with events and checkpoints, models), so code
/// written for OpenAI's SDKs drives LoraPipeline with only the base URL and the key changed. It owns no data: every
/// call goes to the other modules' published contracts (IDatasetFiles, ITrainingJobCommands, IModelCatalog).
/// </summary>
public static class OpenAiModule
{
    public const string PathPrefix = "/v1";

    public static IHostApplicationBuilder AddOpenAi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        // first in line: the problem details service asks its writers in order, and /v1 must get OpenAI's shape
        services.Insert(0, ServiceDescriptor.Singleton<IProblemDetailsWriter, OpenAiErrorWriter>());
        services.AddExceptionHandler<OpenAiExceptionHandler>();
        services.ConfigureWolverine(opts => opts.Discovery.IncludeAssembly(typeof(OpenAiModule).Assembly));
        return builder;
    }

    public static bool IsOpenAiRequest(HttpRequest request) => request.Path.StartsWithSegments(PathPrefix);
}
