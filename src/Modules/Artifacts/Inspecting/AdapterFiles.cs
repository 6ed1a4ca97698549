using LoraPipeline.Artifacts.Model;
using LoraPipeline.Platform.Storage;

namespace LoraPipeline.Artifacts.Inspecting;

/// <summary>Describes the stored files from their own content and flags the ones that are not what they claim.</summary>
internal static class AdapterFiles
{
    public static async Task<(List<ArtifactFile> Files, AdapterDescription Adapter)> InspectAsync(
        IReadOnlyList<ArtifactFile> files, IBlobStore blobs, CancellationToken ct)
    {
        AdapterInspector.AdapterConfig? config = null;
        AdapterInspector.SafetensorsHeader? header = null;
        string? configProblem = null;
        string? weightsProblem = null;

        if (files.FirstOrDefault(f => f.Name == AdapterInspector.ConfigFile) is { } configFile)
        {
            await using var stream = blobs.OpenRead(ModelArtifact.Location(configFile));
            (config, configProblem) = stream is null ? (null, "the stored file is missing") : AdapterInspector.ReadConfig(stream);
        }

        if (files.FirstOrDefault(f => f.Name == AdapterInspector.WeightsFile) is { } weightsFile)
        {
            await using var stream = blobs.OpenRead(ModelArtifact.Location(weightsFile));
            (header, weightsProblem) = stream is null ? (null, "the stored file is missing") : await AdapterInspector.ReadHeaderAsync(stream, weightsFile.Size, ct);
            if (config is not null && header is not null)
            {
                weightsProblem = AdapterInspector.CheckConsistency(config, header);
            }
        }
        else
        {
            weightsProblem = $"the cluster delivered no {AdapterInspector.WeightsFile}";
        }

        var described = files.Select(f => f.Name switch
        {
            AdapterInspector.ConfigFile => f with
            {
                Description = config is null ? null : $"PEFT {config.PeftType} config: r={config.Rank}, alpha={config.Alpha}, targets {string.Join(", ", config.TargetModules)}",
                FlaggedReason = configProblem,
            },
            AdapterInspector.WeightsFile => f with
            {
                Description = header is null ? null : $"safetensors: {header.Tensors.Count} tensors, {header.ParameterCount:N0} parameters",
                FlaggedReason = weightsProblem,
            },
            "training_args.json" => f with { Description = "Hyperparameters and GPU configuration of the run" },
            "training_log.jsonl" => f with { Description = "Every logged metric point, one JSON object per line" },
            _ => f,
        }).ToList();

        return (described, AdapterInspector.Describe(config, header));
    }
}
