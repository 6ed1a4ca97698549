using LoraPipeline.Datasets.Validation;
using Xunit;

namespace LoraPipeline.Datasets.Tests.Validation;

/// <summary>Nearest-rank percentiles on distributions whose answers are known.</summary>
public sealed class IntHistogramTests
{
    [Fact]
    public void Percentiles_of_one_to_ten_follow_the_nearest_rank_method()
    {
        var histogram = Histogram(Enumerable.Range(1, 10));

        Assert.Equal([1, 5, 9, 10, 1], histogram.Percentiles(10, 50, 90, 100, 1));
        Assert.Equal(new ValueDistribution(Min: 1, Max: 10, Mean: 5.5m, Median: 5, P10: 1, P90: 9), histogram.ToDistribution());
    }

    [Fact]
    public void Percentiles_of_a_skewed_distribution_are_values_that_occur()
    {
        // 90 short examples and 10 long ones: p90 is still short (rank 90), the mean is pulled up.
        var histogram = Histogram(Enumerable.Repeat(100, 90).Concat(Enumerable.Repeat(5000, 10)));

        Assert.Equal(new ValueDistribution(Min: 100, Max: 5000, Mean: 590m, Median: 100, P10: 100, P90: 100), histogram.ToDistribution());
        Assert.Equal([5000], histogram.Percentiles(91));
    }

    [Fact]
    public void Memory_grows_with_distinct_values_not_with_the_count_and_merging_is_exact()
    {
        var left = Histogram(Enumerable.Range(0, 1_000_000).Select(i => i % 3));
        var right = Histogram([7, 7, 1]);

        left.Merge(right);

        Assert.Equal(1_000_003, left.Count);
        Assert.Equal(new ValueDistribution(Min: 0, Max: 7, Mean: 1.0m, Median: 1, P10: 0, P90: 2), left.ToDistribution());
        // 333 334 zeros, 333 334 ones, 333 332 twos, 2 sevens: the mean is 1 000 011 / 1 000 003 = 1.00.
    }

    [Fact]
    public void An_odd_count_has_the_middle_value_as_median_and_an_even_count_the_lower_middle()
    {
        Assert.Equal(3, Histogram([5, 1, 3, 2, 4]).ToDistribution().Median);
        Assert.Equal(2, Histogram([4, 1, 3, 2]).ToDistribution().Median);
    }

    [Fact]
    public void No_values_give_an_empty_distribution()
    {
        Assert.Equal(ValueDistribution.Empty, new IntHistogram().ToDistribution());
    }

    [Fact]
    public void Bins_have_round_edges_equal_widths_and_count_every_value()
    {
        // 10,000 examples of 40..10,039 tokens: bins of 500 from 0 would need 21, so they are 1,000 wide (11 of them)
        var bins = Histogram(Enumerable.Range(40, 10_000)).Bins();

        Assert.Equal(11, bins.Count);
        Assert.Equal(10_000, bins.Sum(b => b.Count));
        Assert.Equal(new HistogramBin(0, 999, 960), bins[0]);
        Assert.Equal(new HistogramBin(10_000, 10_999, 40), bins[^1]);
    }

    [Fact]
    public void Few_distinct_small_values_get_one_bin_each_and_empty_bins_stay_in_between()
    {
        Assert.Equal(
            [new HistogramBin(2, 2, 3), new HistogramBin(3, 3, 0), new HistogramBin(4, 4, 1)],
            Histogram([2, 2, 2, 4]).Bins());
        Assert.Empty(new IntHistogram().Bins());
    }

    private static IntHistogram Histogram(IEnumerable<int> values)
    {
        var histogram = new IntHistogram();
        foreach (var value in values)
        {
            histogram.Add(value);
        }

        return histogram;
    }
}
