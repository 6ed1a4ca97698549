using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Artifacts.Scoring;

public enum ConvergenceQuality
{
    Excellent,
    Good,
    Fair,
    Poor,
    Unknown,
}

public sealed record QualityMetrics(
    double? FinalTrainingLoss,
    double? FinalValidationLoss,
    double? Perplexity,
    double? LossReduction,
    double? GeneralizationGap,
    ConvergenceQuality ConvergenceQuality,
    int OverallScore);

/// <summary>
/// E05's quality score, whose rule the spec lost; ours, documented in the README:
/// <list type="bullet">
/// <item>final losses: the last training loss, the last validation loss; perplexity = exp(final validation loss);</item>
/// <item>loss reduction r = (initial − final) / initial of the training loss, where initial is the mean of the
/// first 5% of points (at least one);</item>
/// <item>generalization gap g = (final validation − final training) / final training (0 without a validation loss);</item>
/// <item>excellent: r ≥ 0.60 and g ≤ 0.10 (score 5); good: r ≥ 0.40 and g ≤ 0.20 (4); fair: r ≥ 0.20 and g ≤ 0.35 (3);
/// poor: anything else (2), or 1 when the loss did not fall at all (r ≤ 0);</item>
/// <item>fewer than two points: unknown, score 3.</item>
/// </list>
/// </summary>
public static class QualityRule
{
    public static QualityMetrics Score(IReadOnlyList<MetricPoint> points)
    {
        if (points.Count < 2)
        {
            var only = points.Count == 1 ? points[0] : null;
            return new QualityMetrics(only?.TrainingLoss, only?.ValidationLoss, only?.ValidationLoss is { } v ? Math.Exp(v) : null,
                null, null, ConvergenceQuality.Unknown, 3);
        }

        var ordered = points.OrderBy(p => p.Step).ToList();
        var head = Math.Max(1, ordered.Count / 20);
        var initial = ordered.Take(head).Average(p => p.TrainingLoss);
        var finalTraining = ordered[^1].TrainingLoss;
        var finalValidation = ordered.LastOrDefault(p => p.ValidationLoss is not null)?.ValidationLoss;

        var reduction = initial > 0 ? (initial - finalTraining) / initial : 0;
        var gap = finalValidation is { } val && finalTraining > 0 ? (val - finalTraining) / finalTraining : 0;
        var (quality, score) = (reduction, gap) switch
        {
            ( >= 0.60, <= 0.10) => (ConvergenceQuality.Excellent, 5),
            ( >= 0.40, <= 0.20) => (ConvergenceQuality.Good, 4),
            ( >= 0.20, <= 0.35) => (ConvergenceQuality.Fair, 3),
            ( <= 0, _) => (ConvergenceQuality.Poor, 1),
            _ => (ConvergenceQuality.Poor, 2),
        };

        return new QualityMetrics(
            Round(finalTraining), finalValidation is { } fv ? Round(fv) : null, finalValidation is { } pv ? Round(Math.Exp(pv)) : null,
            Round(reduction), Round(gap), quality, score);
    }

    private static double Round(double value) => Math.Round(value, 4, MidpointRounding.AwayFromZero);
}
