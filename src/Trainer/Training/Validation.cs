using LoraPipeline.Trainer.Data;
using LoraPipeline.Trainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Training;

/// <summary>The validation split's loss at an epoch's end (perplexity = exp of it).</summary>
public static class Validation
{
    /// <summary>Weighted mean loss over the validation examples, dropout off, no gradients.</summary>
    public static double Loss(LlamaModel model, IReadOnlyList<TokenizedExample> examples, int microBatch)
    {
        var training = model.Lora.Training;
        model.Lora.Training = false;
        try
        {
            using var _ = torch.no_grad();
            double sum = 0;
            double weight = 0;
            for (var start = 0; start < examples.Count; start += microBatch)
            {
                using var scope = torch.NewDisposeScope();
                var part = examples.Skip(start).Take(microBatch).ToList();
                var (s, w, _) = BatchLoss.Compute(model, part);
                sum += s.to_type(ScalarType.Float64).item<double>();
                weight += w;
            }

            return weight > 0 ? sum / weight : double.NaN;
        }
        finally
        {
            model.Lora.Training = training;
        }
    }
}
