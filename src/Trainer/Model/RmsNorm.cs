using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Model;

/// <summary>
/// Llama's RMSNorm (TorchSharp 0.107 has no module for it): x / sqrt(mean(x^2) + eps) computed in
/// float32 whatever the input dtype, cast back, then scaled by the weight, in transformers' order.
/// </summary>
public static class RmsNorm
{
    public static Tensor Forward(Tensor x, Tensor weight, double eps)
    {
        using var scope = torch.NewDisposeScope();
        var inputType = x.dtype;
        var h = inputType == ScalarType.Float32 ? x : x.to_type(ScalarType.Float32);
        var variance = h.pow(2).mean([-1L], keepdim: true);
        var normed = h.mul(torch.rsqrt(variance.add(eps)));
        var result = weight.mul(inputType == ScalarType.Float32 ? normed : normed.to_type(inputType));
        return result.MoveToOuterDisposeScope();
    }
}
