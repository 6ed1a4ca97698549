namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// Counts of whole-number values, so that exact percentiles need memory proportional to the number of distinct
/// values (bounded by their range) instead of one slot per value.
/// <para>
/// Percentiles use the <b>nearest-rank</b> method: with the N values sorted ascending, the p-th percentile
/// (0 &lt; p &lt;= 100) is the value at 1-based rank ceil(p / 100 × N). It is always a value of the data;
/// for 1..10, p10 = 1, the median (p50) = 5 and p90 = 9.
/// </para>
/// </summary>
internal sealed class IntHistogram
{
    private readonly Dictionary<int, long> _counts = [];

    public long Count { get; private set; }

    public long Sum { get; private set; }

    public int Min { get; private set; } = int.MaxValue;

    public int Max { get; private set; } = int.MinValue;

    public void Add(int value)
    {
        ref var count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_counts, value, out _);
        count++;
        Count++;
        Sum += value;
        Min = Math.Min(Min, value);
        Max = Math.Max(Max, value);
    }

    public void Merge(IntHistogram other)
    {
        foreach (var (value, count) in other._counts)
        {
            ref var mine = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_counts, value, out _);
            mine += count;
        }

        Count += other.Count;
        Sum += other.Sum;
        Min = Math.Min(Min, other.Min);
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>The nearest-rank percentile (see the class comment) for several percents at once.</summary>
    /// <param name="percents">Each in 1..100.</param>
    public int[] Percentiles(params ReadOnlySpan<int> percents)
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("No values.");
        }

        var values = _counts.Keys.ToArray();
        Array.Sort(values);
        var results = new int[percents.Length];
        for (var i = 0; i < percents.Length; i++)
        {
            var percent = percents[i];
            ArgumentOutOfRangeException.ThrowIfLessThan(percent, 1, nameof(percents));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100, nameof(percents));
            // ceil(percent × N / 100) in integers, so that no rounding error can pick the neighbouring value.
            var rank = (percent * Count + 99) / 100;
            long seen = 0;
            foreach (var value in values)
            {
                seen += _counts[value];
                if (seen >= rank)
                {
                    results[i] = value;
                    break;
                }
            }
        }

        return results;
    }

    public ValueDistribution ToDistribution()
    {
        if (Count == 0)
        {
            return ValueDistribution.Empty;
        }

        var percentiles = Percentiles(50, 10, 90);
        return new ValueDistribution(
            Min,
            Max,
            Mean: Rounding.TwoDecimals(Sum, Count),
            Median: percentiles[0],
            P10: percentiles[1],
            P90: percentiles[2]);
    }

    /// <summary>The largest number of bins <see cref="Bins"/> makes: enough to see a shape, few enough to label.</summary>
    public const int MaxBins = 20;

    /// <summary>
    /// The values in at most <see cref="MaxBins"/> adjacent bins of equal width. The width is the smallest of
    /// 1, 2 or 5 times a power of ten that covers min..max in that many bins, and the first bin starts at a
    /// multiple of it, so the edges are round numbers a reader can take in (0-499, 500-999, ...). Empty when
    /// there are no values.
    /// </summary>
    public IReadOnlyList<HistogramBin> Bins()
    {
        if (Count == 0)
        {
            return [];
        }

        var width = BinWidth(Min, Max);
        var first = FloorTo(Min, width);
        var binCount = (int)(((long)Max - first) / width) + 1;
        var counts = new long[binCount];
        foreach (var (value, count) in _counts)
        {
            counts[((long)value - first) / width] += count;
        }

        return counts.Select((count, i) => new HistogramBin((int)(first + i * width), (int)Math.Min(int.MaxValue, first + (i + 1) * width - 1), count)).ToList();
    }

    private static long BinWidth(int min, int max)
    {
        for (long power = 1; ; power *= 10)
        {
            foreach (var step in (ReadOnlySpan<long>)[1, 2, 5])
            {
                var width = step * power;
                if (((long)max - FloorTo(min, width)) / width + 1 <= MaxBins)
                {
                    return width;
                }
            }
        }
    }

    private static long FloorTo(int value, long width) => (long)Math.Floor((double)value / width) * width;
}
