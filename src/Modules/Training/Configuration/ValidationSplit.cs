namespace LoraPipeline.Training.Configuration;

/// <summary>
/// A job's automatic validation split (docs/cluster-contract.md, <c>validation_split</c>): a share of the training
/// examples, chosen by the cluster with the job's seed, becomes validation data. The count is fixed here so the
/// estimate and every cluster agree: floor(training examples × share), at least 1, and at least one example left to
/// train on (a dataset of one example is not split).
/// </summary>
public static class ValidationSplit
{
    public const decimal Min = 0.01m;
    public const decimal Max = 0.5m;

    public static int Moved(int trainingExamples, decimal? share)
    {
        if (share is not { } s || s <= 0 || trainingExamples < 2)
        {
            return 0;
        }

        return Math.Clamp((int)Math.Floor(trainingExamples * s), 1, trainingExamples - 1);
    }
}
