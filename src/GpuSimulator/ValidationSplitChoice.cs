namespace LoraPipeline.GpuSimulator;

/// <summary>
/// Which training examples a job's validation split holds out (docs/cluster-contract.md): floor(N × share), at least 1
/// and leaving at least 1 (none for N &lt; 2), picked by a partial Fisher-Yates shuffle driven by
/// <see cref="DeterministicRandom"/>, so a seed and a dataset always give the same examples.
/// </summary>
internal static class ValidationSplitChoice
{
    private const int Channel = 41;

    public static int Count(int trainingExamples, double share) =>
        share <= 0 || trainingExamples < 2 ? 0 : Math.Clamp((int)Math.Floor(trainingExamples * share), 1, trainingExamples - 1);

    /// <summary>The held-out positions among the training examples (0-based), ascending.</summary>
    public static IReadOnlyList<int> Choose(int trainingExamples, double share, ulong seed)
    {
        var count = Count(trainingExamples, share);
        var positions = Enumerable.Range(0, trainingExamples).ToArray();
        for (var i = 0; i < count; i++)
        {
            var j = i + (int)(DeterministicRandom.Bits(seed, Channel, i) % (ulong)(trainingExamples - i));
            (positions[i], positions[j]) = (positions[j], positions[i]);
        }

        return positions.Take(count).Order().ToList();
    }
}
