using LoraPipeline.Training.Configuration;

namespace LoraPipeline.Training.Tests;

/// <summary>
/// The presets name Mistral 7B. A cluster that does not train it (the Slurm demo's tiny model, a gateway with Llama 3
/// only) must still run every preset, on its default base model, instead of refusing them all.
/// </summary>
public sealed class PresetBaseModelTests
{
    private static readonly GpuInput OneA100 = new() { Type = "A100-80GB", Count = 1 };

    private static (string? BaseModel, IReadOnlyList<string> Errors) Resolve(string preset, IReadOnlyList<string> offered, string? asked = null)
    {
        var (hyperparameters, _, errors) = TrainingConfigurationRules.Resolve(
            preset, new HyperparameterInput { BaseModel = asked }, OneA100, new GpuCatalogueOptions(), offered);
        return (hyperparameters?.BaseModel, errors.ToDictionary().Keys.ToList());
    }

    [Fact]
    public void a_preset_trains_the_first_offered_base_model_when_its_own_is_not_offered()
    {
        string[] offered = ["lora-pipeline/tiny-llama", "meta-llama/Llama-3.2-1B"];

        Assert.All(Presets.All, p => Assert.Equal(("lora-pipeline/tiny-llama", 0), (Resolve(p.Id, offered).BaseModel, Resolve(p.Id, offered).Errors.Count)));
        Assert.Equal("meta-llama/Llama-3.2-1B", Resolve("fast", offered, asked: "meta-llama/Llama-3.2-1B").BaseModel);
    }

    [Fact]
    public void a_preset_keeps_its_base_model_where_it_is_offered_and_an_unoffered_choice_is_refused()
    {
        Assert.Equal(Presets.DefaultBaseModel, Resolve("balanced", TrainingOptions.DefaultBaseModels).BaseModel);
        Assert.Contains("hyperparameters.base_model", Resolve("balanced", ["lora-pipeline/tiny-llama"], asked: Presets.DefaultBaseModel).Errors);
    }

    [Fact]
    public void the_presets_shown_name_the_base_model_they_will_train()
    {
        var shown = Presets.All.Select(p => Presets.OfferedBy(p, ["lora-pipeline/tiny-llama"])).ToList();

        Assert.All(shown, p => Assert.Equal("lora-pipeline/tiny-llama", p.Hyperparameters.BaseModel));
        Assert.Equal(Presets.All.Select(p => p.Hyperparameters with { BaseModel = "x" }), shown.Select(p => p.Hyperparameters with { BaseModel = "x" }));
    }
}
