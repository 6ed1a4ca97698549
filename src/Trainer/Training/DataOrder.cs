namespace LoraPipeline.Trainer.Training;

/// <summary>
/// The order examples are seen in: a Fisher-Yates shuffle per epoch driven by SplitMix64 seeded from
/// (seed, epoch). It is a pure function of those two numbers, so a resumed run needs only the step to
/// know where it is in the data.
/// </summary>
public static class DataOrder
{
    public static int[] Permutation(int count, long seed, int epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        var state = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL) ^ (ulong)epoch;
        for (var i = count - 1; i > 0; i--)
        {
            var j = (int)(Next(ref state) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order;
    }

    /// <summary>The training examples of optimiser step <paramref name="step"/> (1-based), by index.</summary>
    public static int[] Batch(int count, int batchSize, long seed, int step)
    {
        var stepsPerEpoch = StepsPerEpoch(count, batchSize);
        var epoch = ((step - 1) / stepsPerEpoch) + 1;
        var within = (step - 1) % stepsPerEpoch;
        var order = Permutation(count, seed, epoch);
        return order.Skip(within * batchSize).Take(batchSize).ToArray();
    }

    public static int StepsPerEpoch(int count, int batchSize) => Math.Max(1, (count + batchSize - 1) / batchSize);

    private static ulong Next(ref ulong state)
    {
        unchecked
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
