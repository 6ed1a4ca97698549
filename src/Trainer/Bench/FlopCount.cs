using LoraPipeline.Trainer.Model;

namespace LoraPipeline.Trainer.Bench;

/// <summary>
/// The model FLOPs of one training step on one sequence of T tokens (multiply-add = 2 FLOPs), counted
/// from the work a LoRA step must do, not from 6N:
/// <list type="bullet">
/// <item>frozen linears: forward 2·in·out per token; backward only the input gradient, 2·in·out per token
/// (no weight gradient), except layer 0's q/k/v, whose input (the embedding) needs no gradient;</item>
/// <item>lm_head: forward and input gradient on the T−1 positions that have a target;</item>
/// <item>LoRA (each adapted layer): forward 2·r·(in+out) per token, backward the same for the weight
/// gradients and again for the input gradients;</item>
/// <item>attention: q·kᵀ and p·v over the causal pairs, T(T+1)/2 per head, 2·head_dim FLOPs each, so
/// 2·2·heads·head_dim·T(T+1)/2 forward per layer, and twice that backward.</item>
/// </list>
/// Norms, RoPE, SiLU, softmax, dropout and the optimiser are not counted.
/// </summary>
public sealed record FlopCount(double FrozenLinear, double LmHead, double Lora, double Attention)
{
    public double Total => FrozenLinear + LmHead + Lora + Attention;

    public static FlopCount ForStep(ModelConfig c, int tokens, int rank, IReadOnlyList<string> targets)
    {
        double t = tokens;
        long q = (long)c.NumAttentionHeads * c.HeadDim;
        long kv = (long)c.NumKeyValueHeads * c.HeadDim;
        var shapes = new Dictionary<string, (long In, long Out)>
        {
            ["q_proj"] = (c.HiddenSize, q),
            ["k_proj"] = (c.HiddenSize, kv),
            ["v_proj"] = (c.HiddenSize, kv),
            ["o_proj"] = (q, c.HiddenSize),
            ["gate_proj"] = (c.HiddenSize, c.IntermediateSize),
            ["up_proj"] = (c.HiddenSize, c.IntermediateSize),
            ["down_proj"] = (c.IntermediateSize, c.HiddenSize),
        };
        double frozen = 0;
        double lora = 0;
        for (var layer = 0; layer < c.NumHiddenLayers; layer++)
        {
            foreach (var (name, (inF, outF)) in shapes)
            {
                var inputGradNeeded = !(layer == 0 && name is "q_proj" or "k_proj" or "v_proj");
                frozen += 2.0 * inF * outF * t * (inputGradNeeded ? 2 : 1);
                if (targets.Contains(name))
                {
                    // forward A then B, backward weight gradients of both, input gradients of B and (if needed) A
                    var pass = 2.0 * rank * (inF + outF);
                    var inputGrads = (2.0 * rank * outF) + (inputGradNeeded ? 2.0 * rank * inF : 0);
                    lora += ((2 * pass) + inputGrads) * t;
                }
            }
        }

        var lmHead = 2.0 * c.HiddenSize * c.VocabSize * (t - 1) * 2;
        var attention = c.NumHiddenLayers * 3 * (2.0 * 2 * c.NumAttentionHeads * c.HeadDim * t * (t + 1) / 2);
        return new FlopCount(frozen, lmHead, lora, attention);
    }

    /// <summary>The GEMMs of the frozen linears and lm_head in one step, as (m, k, n, times per step).</summary>
    public static List<(long M, long K, long N, int Count)> FrozenGemms(ModelConfig c, int tokens)
    {
        long q = (long)c.NumAttentionHeads * c.HeadDim;
        long kv = (long)c.NumKeyValueHeads * c.HeadDim;
        var L = c.NumHiddenLayers;
        long h = c.HiddenSize;
        long i = c.IntermediateSize;
        long t = tokens;
        return
        [
            // forward: x[T, in] · Wᵀ[in, out]
            (t, h, q, 2 * L), (t, h, kv, 2 * L), (t, q, h, L), (t, h, i, 2 * L), (t, i, h, L),
            // backward input gradients: g[T, out] · W[out, in] (layer 0's q/k/v need none)
            (t, q, h, (2 * L) - 1), (t, kv, h, (2 * L) - 2), (t, h, q, L), (t, i, h, 2 * L), (t, h, i, L),
            // lm_head forward and input gradient on T-1 positions
            (t - 1, h, c.VocabSize, 1), (t - 1, c.VocabSize, h, 1),
        ];
    }
}
