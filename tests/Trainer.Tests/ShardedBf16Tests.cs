using LoraPipeline.Trainer.Checkpoints;
using LoraPipeline.Trainer.Tests.Support;
using LoraPipeline.Trainer.TinyModel;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Tests;

public class ShardedBf16Tests
{
    [Fact]
    public void a_bf16_sharded_checkpoint_loads_like_the_f32_one_within_bf16_rounding()
    {
        var f32Dir = TinyModels.Get(new TinyModelOptions { Seed = 21 });
        var bf16Dir = TinyModels.Get(new TinyModelOptions { Seed = 21, DType = "bf16", Shards = 2 });
        Assert.True(File.Exists(Path.Combine(bf16Dir, "model.safetensors.index.json")));
        Assert.Equal(2, Directory.GetFiles(bf16Dir, "model-0000?-of-00002.safetensors").Length);

        using var f32 = BaseModelLoader.Load(f32Dir, torch.CPU, ScalarType.Float32);
        using var bf16 = BaseModelLoader.Load(bf16Dir, torch.CPU, ScalarType.Float32);

        // every weight is exactly the float32 weight rounded to bfloat16, whichever shard it came from
        foreach (var (name, weight) in f32.Weights)
        {
            using var rounded = weight.to_type(ScalarType.BFloat16).to_type(ScalarType.Float32);
            Assert.True(rounded.equal(bf16.Weights[name]).all().item<bool>(), name);
        }

        using var ids = torch.tensor(new long[] { 5, 77, 300, 12, 640, 9, 101, 33 }).unsqueeze(0);
        using var expected = f32.Forward(ids);
        using var actual = bf16.Forward(ids);
        var relative = expected.sub(actual).norm().item<float>() / expected.norm().item<float>();
        Assert.True(relative < 2e-2, $"relative logit difference {relative:E2}");
        Assert.True(relative > 0, "bf16 rounding should show somewhere");
    }
}
