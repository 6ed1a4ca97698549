using TorchSharp;
using static TorchSharp.torch;

namespace LoraPipeline.Trainer.Lora;

/// <summary>
/// The trainable low-rank pair of one adapted linear layer, as PEFT's LoRA defines it:
/// y = W x + B(A(dropout(x))) * alpha / r, with A of shape [r, in] Kaiming-uniform initialised
/// (a = sqrt(5), so bound = 1/sqrt(in)) and B of shape [out, r] zero, so training starts from the base
/// model exactly. A and B stay float32 (the optimiser's master copy) whatever dtype the base runs in.
/// </summary>
public sealed class LoraAdapter : IDisposable
{
    public LoraAdapter(Tensor a, Tensor b, double alpha, double dropout)
    {
        A = a;
        B = b;
        Alpha = alpha;
        Dropout = dropout;
    }

    public Tensor A { get; }

    public Tensor B { get; }

    public int Rank => (int)A.shape[0];

    public double Alpha { get; }

    public double Dropout { get; }

    /// <summary>PEFT's scaling without rsLoRA: lora_alpha / r.</summary>
    public double Scaling => Alpha / Rank;

    public static LoraAdapter Create(long inFeatures, long outFeatures, int rank, double alpha, double dropout, Device device, Generator generator)
    {
        using var _ = torch.no_grad();
        // kaiming_uniform_(a=sqrt(5)): gain = sqrt(2 / (1 + 5)), bound = gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in)
        var bound = 1.0 / Math.Sqrt(inFeatures);
        var a = torch.empty([rank, inFeatures], dtype: ScalarType.Float32, device: device);
        a.uniform_(-bound, bound, generator);
        var b = torch.zeros([outFeatures, rank], dtype: ScalarType.Float32, device: device);
        a.requires_grad_(true);
        b.requires_grad_(true);
        return new LoraAdapter(a, b, alpha, dropout);
    }

    /// <summary>The adapter's contribution B(A(dropout(x))) * scaling, in x's dtype.</summary>
    public Tensor Delta(Tensor x, LoraRuntime runtime)
    {
        using var scope = torch.NewDisposeScope();
        var input = x;
        if (runtime.Training && Dropout > 0)
        {
            // inverted dropout with the run's own generator, so a checkpoint can restore its state exactly
            var keep = torch.empty_like(x).uniform_(0, 1, runtime.Generator).ge(Dropout);
            input = x.mul(keep).mul(1.0 / (1.0 - Dropout));
        }

        var a = A.dtype == x.dtype ? A : A.to_type(x.dtype);
        var b = B.dtype == x.dtype ? B : B.to_type(x.dtype);
        var delta = nn.functional.linear(nn.functional.linear(input, a), b).mul(Scaling);
        return delta.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}

/// <summary>What every adapter's forward needs to know: training or not, and the dropout generator.</summary>
public sealed class LoraRuntime
{
    public bool Training { get; set; }

    public Generator? Generator { get; set; }
}
