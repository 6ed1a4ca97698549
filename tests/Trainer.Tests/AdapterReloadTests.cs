using LoraPipeline.Trainer.Checkpoints;
using LoraPipeline.Trainer.Data;
using LoraPipeline.Trainer.Lora;
using LoraPipeline.Trainer.Tests.Support;
using LoraPipeline.Trainer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Tests;

public class AdapterReloadTests
{
    [Fact]
    public void a_saved_adapter_reloaded_on_a_fresh_base_gives_identical_logits()
    {
        using var folder = new TempFolder();
        var dir = TinyModels.Default;
        var tokenizer = TextTokenizer.Load(dir);
        var renderer = new ChatRenderer(tokenizer, ChatFormat.Detect(dir, tokenizer, null));
        var examples = Capitals.Pairs.Select(p =>
        {
            var (ids, weights) = renderer.Render([new("user", Capitals.Question(p.Country)), new("assistant", p.Capital)]);
            return new TokenizedExample([.. ids], [.. weights], false, 0);
        }).ToList();

        using var trained = BaseModelLoader.Load(dir, torch.CPU, ScalarType.Float32);
        using var generator = new Generator(9, torch.CPU);
        trained.Lora.Generator = generator;
        var settings = new LoraSettings(8, 16, 0.1, LoraSettings.DefaultTargets);
        var adapted = settings.Attach(trained, generator);
        using var optimizer = new AdamW(TrainingCheckpoint.Parameters(adapted), 0.01);
        for (var step = 0; step < 3; step++)
        {
            using var scope = torch.NewDisposeScope();
            trained.Lora.Training = true;
            var (sum, weight, _) = BatchLoss.Compute(trained, examples);
            sum.div(weight).backward();
            optimizer.Step(1e-2);
            optimizer.ZeroGrad();
        }

        trained.Lora.Training = false;
        using var probe = torch.tensor(examples[3].Ids.Select(i => (long)i).ToArray()).unsqueeze(0);
        using var before = trained.Forward(probe);
        PeftAdapter.Save(folder.Path, trained, settings, "tiny");

        using var fresh = BaseModelLoader.Load(dir, torch.CPU, ScalarType.Float32);
        using var baseOnly = fresh.Forward(probe);
        var loaded = PeftAdapter.Load(folder.Path, fresh);
        using var after = fresh.Forward(probe);

        Assert.Equal((8, 16.0), (loaded.Rank, loaded.Alpha));
        Assert.True(before.equal(after).all().item<bool>(), "reloaded logits differ");
        Assert.True(before.sub(baseOnly).abs().max().item<float>() > 1e-3, "the adapter changed nothing, so the comparison proves nothing");
    }
}
