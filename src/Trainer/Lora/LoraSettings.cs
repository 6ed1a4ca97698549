using LoraPipeline.Trainer.Checkpoints;
using LoraPipeline.Trainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Lora;

/// <summary>Rank, alpha, dropout and the modules to adapt (PEFT's LoraConfig r, lora_alpha, lora_dropout, target_modules).</summary>
public sealed record LoraSettings(int Rank, double Alpha, double Dropout, IReadOnlyList<string> TargetModules)
{
    public const string AllLinear = "all-linear";

    public static readonly IReadOnlyList<string> DefaultTargets = ["q_proj", "k_proj", "v_proj", "o_proj"];

    public static readonly IReadOnlyList<string> DecoderLinears = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>
    /// The module names adapted: "all-linear" is every linear layer of the decoder blocks, lm_head
    /// excluded, as PEFT resolves it; otherwise the names given, each of which must exist.
    /// </summary>
    public IReadOnlyList<string> ResolvedTargets()
    {
        if (TargetModules.Count == 1 && TargetModules[0] == AllLinear)
        {
            return DecoderLinears;
        }

        foreach (var name in TargetModules)
        {
            if (!DecoderLinears.Contains(name))
            {
                throw new TrainerInputException($"target module {name} matches no linear layer of the model ({string.Join(", ", DecoderLinears)}, or {AllLinear})");
            }
        }

        return DecoderLinears.Where(TargetModules.Contains).ToList();
    }

    public static IReadOnlyList<string> Parse(string? text) =>
        string.IsNullOrWhiteSpace(text) ? DefaultTargets : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public void Validate()
    {
        if (Rank < 1)
        {
            throw new TrainerInputException($"LoRA rank {Rank} must be at least 1");
        }

        if (Dropout is < 0 or >= 1)
        {
            throw new TrainerInputException($"LoRA dropout {Dropout} must be in [0, 1)");
        }
    }

    /// <summary>Adds fresh adapters (A from <paramref name="generator"/>, in model order; B zero) to the target layers.</summary>
    public IReadOnlyList<Projection> Attach(LlamaModel model, Generator generator)
    {
        Validate();
        var targets = ResolvedTargets();
        var adapted = new List<Projection>();
        foreach (var projection in model.Projections.Where(p => targets.Contains(p.ModuleName)))
        {
            projection.Lora?.Dispose();
            projection.Lora = LoraAdapter.Create(projection.InFeatures, projection.OutFeatures, Rank, Alpha, Dropout, model.Device, generator);
            adapted.Add(projection);
        }

        return adapted;
    }
}
