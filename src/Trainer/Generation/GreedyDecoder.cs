using LoraPipeline.Trainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Generation;

/// <summary>
/// Greedy decoding with a KV cache: the prompt runs once (causal), then each new token runs alone
/// against the cached keys and values, until a stop token or the token limit.
/// </summary>
public static class GreedyDecoder
{
    public static List<int> Generate(LlamaModel model, IReadOnlyList<int> prompt, IReadOnlyCollection<int> stopTokens, int maxNewTokens)
    {
        var training = model.Lora.Training;
        model.Lora.Training = false;
        using var _ = torch.no_grad();
        using var cache = new KvCache(model.Config.NumHiddenLayers);
        var generated = new List<int>();
        try
        {
            long next;
            using (var scope = torch.NewDisposeScope())
            {
                var input = torch.tensor(prompt.Select(i => (long)i).ToArray(), dtype: ScalarType.Int64, device: model.Device).unsqueeze(0);
                next = LastArgmax(model, input, cache);
            }

            while (generated.Count < maxNewTokens)
            {
                if (stopTokens.Contains((int)next))
                {
                    break;
                }

                generated.Add((int)next);
                if (generated.Count == maxNewTokens || cache.Length >= model.Config.MaxPositionEmbeddings)
                {
                    break;
                }

                using var scope = torch.NewDisposeScope();
                var input = torch.tensor(new[] { next }, dtype: ScalarType.Int64, device: model.Device).unsqueeze(0);
                next = LastArgmax(model, input, cache);
            }
        }
        finally
        {
            model.Lora.Training = training;
        }

        return generated;
    }

    private static long LastArgmax(LlamaModel model, Tensor input, KvCache cache)
    {
        var hidden = model.Hidden(input, cache);
        var last = hidden.narrow(1, hidden.shape[1] - 1, 1);
        var logits = model.Logits(last);
        return logits.argmax(-1).flatten()[0].item<long>();
    }
}
