using LoraPipeline.Trainer.Data;

namespace LoraPipeline.Trainer.Training;

/// <summary>
/// The job's automatic validation split (docs/cluster-contract.md, <c>validation_split</c>): floor(training examples ×
/// share) of the training examples, at least 1 and leaving at least 1, become validation examples. Which ones is the
/// start of <see cref="DataOrder.Permutation"/> for the seed at epoch 0 (training uses epochs from 1), so the same seed
/// and dataset always hold out the same examples, also after a resume.
/// </summary>
public static class ValidationSplitter
{
    public const double MaxShare = 0.5;

    public static int Moved(int trainingExamples, double share) =>
        share <= 0 || trainingExamples < 2 ? 0 : Math.Clamp((int)Math.Floor(trainingExamples * share), 1, trainingExamples - 1);

    public static IReadOnlyList<ChatExample> Apply(IReadOnlyList<ChatExample> examples, double share, long seed)
    {
        var training = examples.Select((e, i) => (e, i)).Where(x => !x.e.IsValidation).Select(x => x.i).ToArray();
        var moved = Moved(training.Length, share);
        if (moved == 0)
        {
            return examples;
        }

        var heldOut = DataOrder.Permutation(training.Length, seed, epoch: 0).Take(moved).Select(k => training[k]).ToHashSet();
        return examples.Select((e, i) => heldOut.Contains(i) ? e with { IsValidation = true } : e).ToList();
    }
}
