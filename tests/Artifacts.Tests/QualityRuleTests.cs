using LoraPipeline.Artifacts.Scoring;
using LoraPipeline.Training.Contracts;

namespace LoraPipeline.Artifacts.Tests;

/// <summary>The README's quality rule, case by case.</summary>
public sealed class QualityRuleTests
{
    private static List<MetricPoint> Curve(double from, double to, double? finalValidation, int points = 40) =>
        Enumerable.Range(0, points).Select(i =>
        {
            var loss = from + (to - from) * i / (points - 1);
            return new MetricPoint(i + 1, 1, loss, i == points - 1 ? finalValidation : null, 1e-4, null, null, null, DateTimeOffset.UnixEpoch);
        }).ToList();

    [Theory]
    [InlineData(2.5, 0.8, 0.85, ConvergenceQuality.Excellent, 5)] // r = 0.66, g = 0.06
    [InlineData(2.5, 1.4, 1.6, ConvergenceQuality.Good, 4)]       // r = 0.43, g = 0.14
    [InlineData(2.5, 1.9, 2.4, ConvergenceQuality.Fair, 3)]       // r = 0.23, g = 0.26
    [InlineData(2.5, 0.8, 1.5, ConvergenceQuality.Poor, 2)]       // r = 0.66 but g = 0.88: overfitting
    [InlineData(2.0, 2.3, null, ConvergenceQuality.Poor, 1)]      // the loss rose
    public void a_curve_gets_the_documented_quality_and_score(double from, double to, double? validation, ConvergenceQuality quality, int score)
    {
        var result = QualityRule.Score(Curve(from, to, validation));
        Assert.Equal(quality, result.ConvergenceQuality);
        Assert.Equal(score, result.OverallScore);
    }

    [Fact]
    public void perplexity_is_exp_of_the_final_validation_loss()
    {
        var result = QualityRule.Score(Curve(2.5, 0.8, 0.85));
        Assert.Equal(Math.Round(Math.Exp(0.85), 4), result.Perplexity);
        Assert.Equal(0.85, result.FinalValidationLoss);
        Assert.Equal(0.8, result.FinalTrainingLoss!.Value, 4);
    }

    [Fact]
    public void without_metrics_the_score_is_3_and_unknown()
    {
        var result = QualityRule.Score([]);
        Assert.Equal(ConvergenceQuality.Unknown, result.ConvergenceQuality);
        Assert.Equal(3, result.OverallScore);
        Assert.Null(result.Perplexity);
    }
}
