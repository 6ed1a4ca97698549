namespace LoraPipeline.OpenAi.FineTuning;

/// <summary>
/// OpenAI's <c>learning_rate_multiplier</c> scales a reference rate of 1e-4: the native range of learning
/// rates, 1e-5 to 1e-3, is the multipliers 0.1 to 10. <c>"auto"</c> leaves the preset's rate.
/// </summary>
internal static class HyperparameterMapping
{
    public const decimal ReferenceLearningRate = 0.0001m;

    public static decimal LearningRateOf(decimal multiplier) => ReferenceLearningRate * multiplier;

    public static double MultiplierOf(decimal learningRate) => (double)(learningRate / ReferenceLearningRate);
}
