using LoraPipeline.Trainer.Checkpoints;
using LoraPipeline.Trainer.Model;
using LoraPipeline.Trainer.Tests.Support;
using LoraPipeline.Trainer.TinyModel;
using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Tests;

/// <summary>
/// The model's logits against the Llama equations written out as plain loops in double precision,
/// from the checkpoint's own tensors (read with the safetensors reader, not through the model).
/// </summary>
public class ForwardPassTests
{
    public static TheoryData<string> Variants => ["llama3-rope-scaling", "rope-theta-500000-tied", "mistral-sliding-window"];

    [Theory]
    [MemberData(nameof(Variants))]
    public void logits_equal_a_naive_loop_implementation(string variant)
    {
        var options = variant switch
        {
            // theta 10000, head_dim 8: wavelengths 6.3, 63, 628, 6283 against 64/4..64/1 -> kept, blended, divided, divided
            "llama3-rope-scaling" => new TinyModelOptions { Hidden = 32, Heads = 4, KvHeads = 2, Llama3RopeScaling = true, Seed = 11 },
            "rope-theta-500000-tied" => new TinyModelOptions { Hidden = 64, Heads = 8, KvHeads = 2, RopeTheta = 500000, TieEmbeddings = true, Seed = 12 },
            _ => new TinyModelOptions { Architecture = "mistral", Hidden = 32, Heads = 4, KvHeads = 1, SlidingWindow = 5, Seed = 13 },
        };
        var dir = TinyModels.Get(options);
        var config = ModelConfig.Load(dir);
        var random = new Random(3);
        var ids = Enumerable.Range(0, 17).Select(_ => random.Next(config.VocabSize)).ToArray();

        using var model = BaseModelLoader.Load(dir, torch.CPU, ScalarType.Float32);
        using var input = torch.tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0);
        using var logits = model.Forward(input);
        var actual = logits.squeeze(0).data<float>().ToArray();

        var expected = NaiveLlama.Logits(dir, config, ids);
        var maxDiff = actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
        Assert.True(maxDiff < 1e-5, $"max |logit difference| {maxDiff:E2}");
        Assert.True(expected.Max(Math.Abs) > 0.5, "logits too small to mean anything");
    }

    /// <summary>transformers' LlamaForCausalLM/MistralForCausalLM forward, one scalar at a time.</summary>
    private static class NaiveLlama
    {
        public static double[] Logits(string dir, ModelConfig c, int[] ids)
        {
            using var reader = SafetensorsReader.Open(Path.Combine(dir, "model.safetensors"));
            double[] W(string name)
            {
                using var t = reader.Read(name, ScalarType.Float32);
                return t.data<float>().ToArray().Select(v => (double)v).ToArray();
            }

            int n = ids.Length, h = c.HiddenSize, d = c.HeadDim, heads = c.NumAttentionHeads, kvHeads = c.NumKeyValueHeads;
            var embed = W("model.embed_tokens.weight");
            var x = new double[n][];
            for (var t = 0; t < n; t++)
            {
                x[t] = embed.AsSpan(ids[t] * h, h).ToArray();
            }

            var inv = InverseFrequencies(c);
            for (var layer = 0; layer < c.NumHiddenLayers; layer++)
            {
                var p = $"model.layers.{layer}.";
                double[] wq = W(p + "self_attn.q_proj.weight"), wk = W(p + "self_attn.k_proj.weight"), wv = W(p + "self_attn.v_proj.weight"), wo = W(p + "self_attn.o_proj.weight");
                double[] g1 = W(p + "input_layernorm.weight"), g2 = W(p + "post_attention_layernorm.weight");
                double[] wg = W(p + "mlp.gate_proj.weight"), wu = W(p + "mlp.up_proj.weight"), wd = W(p + "mlp.down_proj.weight");
                var q = new double[n][];
                var k = new double[n][];
                var v = new double[n][];
                for (var t = 0; t < n; t++)
                {
                    var a = Norm(x[t], g1, c.RmsNormEps);
                    q[t] = Rotate(MatVec(wq, a, heads * d), heads, d, t, inv);
                    k[t] = Rotate(MatVec(wk, a, kvHeads * d), kvHeads, d, t, inv);
                    v[t] = MatVec(wv, a, kvHeads * d);
                }

                var next = new double[n][];
                for (var t = 0; t < n; t++)
                {
                    var attended = new double[heads * d];
                    for (var head = 0; head < heads; head++)
                    {
                        var kvHead = head / (heads / kvHeads);
                        var first = c.SlidingWindow is { } w ? Math.Max(0, t - w + 1) : 0;
                        var scores = new double[t + 1];
                        var max = double.NegativeInfinity;
                        for (var j = first; j <= t; j++)
                        {
                            double s = 0;
                            for (var i = 0; i < d; i++)
                            {
                                s += q[t][(head * d) + i] * k[j][(kvHead * d) + i];
                            }

                            scores[j] = s / Math.Sqrt(d);
                            max = Math.Max(max, scores[j]);
                        }

                        double z = 0;
                        for (var j = first; j <= t; j++)
                        {
                            scores[j] = Math.Exp(scores[j] - max);
                            z += scores[j];
                        }

                        for (var j = first; j <= t; j++)
                        {
                            for (var i = 0; i < d; i++)
                            {
                                attended[(head * d) + i] += scores[j] / z * v[j][(kvHead * d) + i];
                            }
                        }
                    }

                    var residual = Add(x[t], MatVec(wo, attended, h));
                    var b = Norm(residual, g2, c.RmsNormEps);
                    var gate = MatVec(wg, b, c.IntermediateSize);
                    var up = MatVec(wu, b, c.IntermediateSize);
                    var hidden = gate.Select((gv, i) => gv / (1 + Math.Exp(-gv)) * up[i]).ToArray();
                    next[t] = Add(residual, MatVec(wd, hidden, h));
                }

                x = next;
            }

            var norm = W("model.norm.weight");
            var lmHead = c.TieWordEmbeddings ? embed : W("lm_head.weight");
            return x.SelectMany(row => MatVec(lmHead, Norm(row, norm, c.RmsNormEps), c.VocabSize)).ToArray();
        }

        /// <summary>theta^(-2i/d), then Llama 3.1's scaling: keep short wavelengths, divide long ones by the factor, blend between.</summary>
        private static double[] InverseFrequencies(ModelConfig c)
        {
            var inv = new double[c.HeadDim / 2];
            for (var i = 0; i < inv.Length; i++)
            {
                var f = Math.Pow(c.RopeTheta, -2.0 * i / c.HeadDim);
                if (c.RopeScaling is { Type: "llama3" } s)
                {
                    var wavelength = 2 * Math.PI / f;
                    var low = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
                    var high = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
                    if (wavelength > low)
                    {
                        f /= s.Factor;
                    }
                    else if (wavelength >= high)
                    {
                        var smooth = ((s.OriginalMaxPositionEmbeddings / wavelength) - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                        f = ((1 - smooth) * f / s.Factor) + (smooth * f);
                    }
                }

                inv[i] = (float)f; // the model keeps them in float32 too
            }

            return inv;
        }

        /// <summary>rotate_half RoPE: pairs (i, i + d/2) of each head turned by position * inv_freq[i].</summary>
        private static double[] Rotate(double[] vector, int heads, int d, int position, double[] inv)
        {
            var result = new double[vector.Length];
            for (var head = 0; head < heads; head++)
            {
                for (var i = 0; i < d / 2; i++)
                {
                    var angle = (float)(position * (float)inv[i]);
                    double cos = (float)Math.Cos(angle), sin = (float)Math.Sin(angle);
                    var a = vector[(head * d) + i];
                    var b = vector[(head * d) + i + (d / 2)];
                    result[(head * d) + i] = (a * cos) - (b * sin);
                    result[(head * d) + i + (d / 2)] = (b * cos) + (a * sin);
                }
            }

            return result;
        }

        private static double[] Norm(double[] x, double[] weight, double eps)
        {
            var mean = x.Sum(v => v * v) / x.Length;
            var scale = 1 / Math.Sqrt(mean + eps);
            return x.Select((v, i) => weight[i] * v * scale).ToArray();
        }

        /// <summary>W x for W stored [rows, x.Length] row-major, as nn.Linear stores weight [out, in].</summary>
        private static double[] MatVec(double[] w, double[] x, int rows)
        {
            var y = new double[rows];
            for (var r = 0; r < rows; r++)
            {
                double s = 0;
                for (var i = 0; i < x.Length; i++)
                {
                    s += w[(r * x.Length) + i] * x[i];
                }

                y[r] = s;
            }

            return y;
        }

        private static double[] Add(double[] a, double[] b) => a.Select((v, i) => v + b[i]).ToArray();
    }
}
