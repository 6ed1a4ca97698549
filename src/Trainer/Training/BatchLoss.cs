using LoraPipeline.Trainer.Data;
using LoraPipeline.Trainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Training;

/// <summary>
/// The weighted next-token loss of a micro-batch. Sequences are right-padded (with causal attention a
/// real token never sees the padding after it). Position t's logits predict token t+1, weighted by that
/// token's weight; only positions with a non-zero weight are sent through lm_head, which saves the
/// vocabulary-sized matmul for prompt tokens. Returns the weighted sum, so that micro-batches add up
/// to exactly the batch's loss when each is divided by the batch's total weight.
/// </summary>
public static class BatchLoss
{
    public static (Tensor WeightedSum, double Weight, long Tokens) Compute(LlamaModel model, IReadOnlyList<TokenizedExample> examples)
    {
        using var scope = torch.NewDisposeScope();
        var batch = examples.Count;
        var length = examples.Max(e => e.Length);
        var ids = new long[batch * length];
        var targets = new List<long>();
        var positions = new List<long>();
        var weights = new List<float>();
        long tokens = 0;
        for (var b = 0; b < batch; b++)
        {
            var e = examples[b];
            tokens += e.Length;
            for (var t = 0; t < e.Length; t++)
            {
                ids[(b * length) + t] = e.Ids[t];
            }

            for (var t = 1; t < e.Length; t++)
            {
                if (e.Weights[t] > 0)
                {
                    positions.Add((b * (length - 1)) + t - 1);
                    targets.Add(e.Ids[t]);
                    weights.Add(e.Weights[t]);
                }
            }
        }

        var weight = weights.Sum(w => (double)w);
        if (positions.Count == 0 || length < 2)
        {
            return (torch.zeros(1, device: model.Device).sum().MoveToOuterDisposeScope(), 0, tokens);
        }

        var input = torch.tensor(ids, dtype: ScalarType.Int64, device: model.Device).view(batch, length);
        var hidden = model.Hidden(input);
        var shifted = hidden.narrow(1, 0, length - 1).reshape(-1, model.Config.HiddenSize);
        var selected = shifted.index_select(0, torch.tensor(positions.ToArray(), dtype: ScalarType.Int64, device: model.Device));
        var logits = model.Logits(selected);
        var losses = nn.functional.cross_entropy(logits, torch.tensor(targets.ToArray(), dtype: ScalarType.Int64, device: model.Device), reduction: nn.Reduction.None);
        var sum = losses.mul(torch.tensor(weights.ToArray(), dtype: ScalarType.Float32, device: model.Device)).sum();
        return (sum.MoveToOuterDisposeScope(), weight, tokens);
    }
}
