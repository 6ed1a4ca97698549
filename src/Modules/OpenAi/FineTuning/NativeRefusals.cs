using LoraPipeline.OpenAi.Errors;
using LoraPipeline.Platform.Http;

namespace LoraPipeline.OpenAi.FineTuning;

/// <summary>
/// A native rule's refusal of a create, re-worded with OpenAI's parameter names (<c>hyperparameters.n_epochs</c>
/// for the native <c>hyperparameters.epochs</c>, <c>training_file</c> for <c>dataset_id</c>, ...) so the SDK's
/// error names what the caller sent.
/// </summary>
internal static class NativeRefusals
{
    public static OpenAiException ForCreate(ApiProblemException problem, string hyperparameters)
    {
        var param = problem.Details is IReadOnlyDictionary<string, string[]> fields && fields.Count > 0
            ? ParamOf(fields.Keys.First(), hyperparameters)
            : problem.Error switch
            {
                "Validation dataset not found" or "Validation dataset not ready" => "validation_file",
                "Dataset not found" or "Dataset not ready for training" => "training_file",
                _ => null,
            };
        var code = problem.Status switch
        {
            404 => "not_found",
            402 => "budget_exceeded",
            _ when param?.StartsWith(hyperparameters, StringComparison.Ordinal) == true => "invalid_hyperparameter",
            _ when problem.Error == "Dataset not ready for training" => "file_not_ready",
            _ => null,
        };
        var message = problem.Status == 404 && param is not null ? $"No such file for {param}: {problem.Message}"
            : problem.Details is IReadOnlyDictionary<string, string[]> { Count: > 0 } named
                // the native summary names native fields ("validation_dataset_id ..."): say it with the caller's names
                ? string.Join("; ", named.Select(f => $"{ParamOf(f.Key, hyperparameters)} {string.Join(", ", f.Value)}"))
                : problem.Message;
        // a spent budget will not change by asking again: a 400, which the SDKs do not retry
        return new OpenAiException(problem.Status == 402 ? 400 : problem.Status, message, param, code);
    }

    private static string ParamOf(string nativeField, string hyperparameters) => nativeField switch
    {
        "hyperparameters.epochs" => $"{hyperparameters}.n_epochs",
        "hyperparameters.batch_size" => $"{hyperparameters}.batch_size",
        "hyperparameters.learning_rate" => $"{hyperparameters}.learning_rate_multiplier",
        "hyperparameters.base_model" => "model",
        "hyperparameters.rank" => "lora_rank",
        "hyperparameters.alpha" => "lora_alpha",
        "hyperparameters.dropout" => "lora_dropout",
        "gpu_config.type" => "gpu_type",
        "gpu_config.count" => "num_gpus",
        "preset_id" => "preset",
        "dataset_id" => "training_file",
        "validation_dataset_id" => "validation_file",
        _ => nativeField,
    };
}
