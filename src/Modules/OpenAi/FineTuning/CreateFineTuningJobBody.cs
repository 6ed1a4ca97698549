using System.Text.Json;
using LoraPipeline.OpenAi.Errors;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.OpenAi.FineTuning;

/// <summary>
/// OpenAI's create body, plus LoraPipeline's documented extra fields (<c>preset</c>, <c>lora_rank</c>,
/// <c>lora_alpha</c>, <c>lora_dropout</c>, <c>gpu_type</c>, <c>num_gpus</c>) that an SDK sends as extra body.
/// </summary>
public sealed class CreateFineTuningJobBody
{
    public string? Model { get; set; }
    public string? TrainingFile { get; set; }
    public string? ValidationFile { get; set; }
    public HyperparametersBody? Hyperparameters { get; set; }
    public MethodBody? Method { get; set; }
    public string? Suffix { get; set; }
    public long? Seed { get; set; }
    public Dictionary<string, string>? Metadata { get; set; }
    public JsonElement? Integrations { get; set; }

    public string? Preset { get; set; }
    public int? LoraRank { get; set; }
    public int? LoraAlpha { get; set; }
    public decimal? LoraDropout { get; set; }
    public string? GpuType { get; set; }
    public int? NumGpus { get; set; }
}

public sealed class HyperparametersBody
{
    public JsonElement? NEpochs { get; set; }
    public JsonElement? BatchSize { get; set; }
    public JsonElement? LearningRateMultiplier { get; set; }
}

public sealed class MethodBody
{
    public string? Type { get; set; }
    public SupervisedBody? Supervised { get; set; }
}

public sealed class SupervisedBody
{
    public HyperparametersBody? Hyperparameters { get; set; }
}

/// <summary>Reads the body into a native order; what OpenAI's SDKs would send wrong is a 400 naming OpenAI's parameter.</summary>
internal static class FineTuningOrder
{
    public const string DefaultPreset = "balanced";
    public const string DefaultGpu = "A100-80GB";

    public static JobOrderInput From(CreateFineTuningJobBody body)
    {
        if (string.IsNullOrWhiteSpace(body.Model))
        {
            throw OpenAiException.BadRequest("Missing required parameter: 'model'.", "model", "missing_required_parameter");
        }

        if (string.IsNullOrWhiteSpace(body.TrainingFile))
        {
            throw OpenAiException.BadRequest("Missing required parameter: 'training_file'.", "training_file", "missing_required_parameter");
        }

        var training = FileId(body.TrainingFile, "training_file");
        var validation = body.ValidationFile is null ? (Guid?)null : FileId(body.ValidationFile, "validation_file");
        if (body.Integrations is { ValueKind: JsonValueKind.Array } integrations && integrations.GetArrayLength() > 0)
        {
            throw OpenAiException.BadRequest("Integrations (Weights and Biases) are not supported; follow the job's events instead.", "integrations");
        }

        if (body.Method is { } method && method.Type is not (null or "supervised"))
        {
            throw OpenAiException.BadRequest(
                $"Fine-tuning method '{method.Type}' is not supported; LoraPipeline trains LoRA adapters with supervised fine-tuning only.",
                "method.type", "unsupported_method");
        }

        var (hyperparameters, prefix) = Hyperparameters(body);
        var epochs = Integer(hyperparameters?.NEpochs, $"{prefix}.n_epochs");
        var batch = Integer(hyperparameters?.BatchSize, $"{prefix}.batch_size");
        var multiplier = Number(hyperparameters?.LearningRateMultiplier, $"{prefix}.learning_rate_multiplier");
        if (multiplier is <= 0)
        {
            throw OpenAiException.BadRequest($"{prefix}.learning_rate_multiplier must be greater than 0.", $"{prefix}.learning_rate_multiplier", "invalid_hyperparameter");
        }

        return new JobOrderInput(
            training, body.Preset ?? DefaultPreset, body.Model, multiplier is { } m ? HyperparameterMapping.LearningRateOf(m) : null,
            batch, epochs, body.LoraRank, body.LoraAlpha, body.LoraDropout, body.GpuType ?? DefaultGpu, body.NumGpus ?? 1,
            new JobExtras(validation, body.Suffix, body.Seed, body.Metadata));
    }

    /// <summary>The hyperparameters from <c>method.supervised</c> or the older top-level field, not both.</summary>
    private static (HyperparametersBody?, string) Hyperparameters(CreateFineTuningJobBody body)
    {
        var method = body.Method?.Supervised?.Hyperparameters;
        if (method is not null && body.Hyperparameters is not null)
        {
            throw OpenAiException.BadRequest(
                "Give hyperparameters either in 'method.supervised.hyperparameters' or in 'hyperparameters', not both.", "hyperparameters");
        }

        return method is not null ? (method, "method.supervised.hyperparameters") : (body.Hyperparameters, "hyperparameters");
    }

    private static Guid FileId(string id, string param) =>
        !OpenAiIds.TryParse(id, OpenAiIds.File, out var guid)
            ? throw OpenAiException.BadRequest($"Invalid file id '{id}': file ids look like 'file-' and 32 hexadecimal digits.", param, "invalid_file_id")
            : guid == Guid.Empty ? throw OpenAiException.NotFound("file", id, param) : guid.Value;

    private static decimal? Number(JsonElement? value, string param) => value switch
    {
        null or { ValueKind: JsonValueKind.Null } => null,
        { ValueKind: JsonValueKind.String } s when s.GetString() == "auto" => null,
        { ValueKind: JsonValueKind.Number } n when n.TryGetDecimal(out var d) => d,
        _ => throw OpenAiException.BadRequest($"{param} must be a number or \"auto\".", param, "invalid_hyperparameter"),
    };

    private static int? Integer(JsonElement? value, string param) => Number(value, param) switch
    {
        null => null,
        { } d when d == decimal.Truncate(d) && d is >= int.MinValue and <= int.MaxValue => (int)d,
        _ => throw OpenAiException.BadRequest($"{param} must be a whole number or \"auto\".", param, "invalid_hyperparameter"),
    };
}
