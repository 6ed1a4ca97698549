using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Training;

/// <summary>
/// AdamW with decoupled weight decay, step for step what torch.optim.AdamW (amsgrad off) computes:
/// p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
/// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
/// Written here rather than taken from TorchSharp so that its whole state (the moments and t) is plain
/// tensors a checkpoint can save and restore exactly.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly IReadOnlyList<Tensor> _parameters;
    private readonly Tensor[] _expAvg;
    private readonly Tensor[] _expAvgSq;

    public AdamW(IReadOnlyList<Tensor> parameters, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        _parameters = parameters;
        WeightDecay = weightDecay;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        _expAvg = parameters.Select(p => torch.zeros_like(p)).ToArray();
        _expAvgSq = parameters.Select(p => torch.zeros_like(p)).ToArray();
    }

    public double WeightDecay { get; }

    public double Beta1 { get; }

    public double Beta2 { get; }

    public double Eps { get; }

    /// <summary>Optimiser steps taken (t in the bias corrections).</summary>
    public int StepCount { get; private set; }

    public IReadOnlyList<Tensor> ExpAvg => _expAvg;

    public IReadOnlyList<Tensor> ExpAvgSq => _expAvgSq;

    public void Step(double learningRate)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        StepCount++;
        var correction1 = 1 - Math.Pow(Beta1, StepCount);
        var correction2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
        for (var i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            var g = p.grad;
            if (g is null)
            {
                continue;
            }

            if (WeightDecay != 0)
            {
                p.mul_(1 - (learningRate * WeightDecay));
            }

            _expAvg[i].mul_(Beta1).add_(g, alpha: 1 - Beta1);
            _expAvgSq[i].mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            var denom = _expAvgSq[i].sqrt().div_(correction2Sqrt).add_(Eps);
            p.addcdiv_(_expAvg[i], denom, value: -learningRate / correction1);
        }
    }

    public void ZeroGrad()
    {
        using var scope = torch.NewDisposeScope();
        foreach (var p in _parameters)
        {
            if (p.grad is { } g)
            {
                g.zero_();
            }
        }
    }

    /// <summary>Restores a saved state: moments copied in place, t set.</summary>
    public void Restore(IReadOnlyList<Tensor> expAvg, IReadOnlyList<Tensor> expAvgSq, int stepCount)
    {
        using var _ = torch.no_grad();
        for (var i = 0; i < _parameters.Count; i++)
        {
            _expAvg[i].copy_(expAvg[i]);
            _expAvgSq[i].copy_(expAvgSq[i]);
        }

        StepCount = stepCount;
    }

    /// <summary>sqrt of the sum of squared gradients (the norm torch.nn.utils.clip_grad_norm_ reports), then clipping to maxNorm.</summary>
    public double ClipGradients(double maxNorm)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        double sum = 0;
        foreach (var p in _parameters)
        {
            if (p.grad is { } g)
            {
                using var squares = g.pow(2).sum();
                sum += squares.to_type(ScalarType.Float64).item<double>();
            }
        }

        var norm = Math.Sqrt(sum);
        var coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1)
        {
            foreach (var p in _parameters)
            {
                p.grad?.mul_(coefficient);
            }
        }

        return norm;
    }

    public void Dispose()
    {
        foreach (var t in _expAvg.Concat(_expAvgSq))
        {
            t.Dispose();
        }
    }
}
