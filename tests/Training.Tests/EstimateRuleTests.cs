using System.Globalization;
using System.Text.RegularExpressions;
using LoraPipeline.Training.Configuration;

namespace LoraPipeline.Training.Tests;

/// <summary>The estimate's rule (issue 22): trained tokens, the base model's size, GPU scaling, lines that add up.</summary>
public sealed class EstimateRuleTests
{
    private static readonly GpuType A100 = GpuCatalogueOptions.Defaults.Single(g => g.Id == "A100-80GB");

    private static CostEstimate Estimate(
        DatasetFigures dataset, int batch = 4, int epochs = 1, int gpus = 1, string model = Presets.DefaultBaseModel, decimal? split = null) =>
        CostEstimator.Estimate(new EstimateInput(dataset, batch, epochs, A100, gpus, model, split));

    private static long Seconds(CostEstimate e, string line) => e.Lines!.Single(l => l.Id == line).Seconds;

    [Fact]
    public void only_the_tokens_left_after_truncation_are_trained()
    {
        // the cookbook's toy set, scaled up so whole seconds show the difference: 8,242 tokens of which 4,306 survive truncation
        var truncated = Estimate(new DatasetFigures("toy", 1000, 8_242_000, TrainedTokens: 4_306_000, MaxSequenceLength: 4096));
        var untruncated = Estimate(new DatasetFigures("toy", 1000, 8_242_000));

        // 250 steps × 4 × 4,306 tokens / 1,800 tokens/s = 2,392.2 s (all 8,242 per example would take 4,578.9 s)
        Assert.Equal(2392, Seconds(truncated, "training"));
        Assert.Equal(4579, Seconds(untruncated, "training"));
        Assert.Equal((8_242_000L, 4_306_000L), (truncated.Tokens!.TotalTokens, truncated.Tokens.TrainedTokens));
        Assert.Contains("Trains on 4,306,000 of 8,242,000 tokens", truncated.Tokens.Note);
    }

    [Fact]
    public void a_smaller_base_model_trains_faster_by_the_ratio_of_parameters()
    {
        var dataset = new DatasetFigures("d", 1000, 4_000_000);
        var seven = Estimate(dataset);
        var tiny = Estimate(dataset, model: "TinyLlama/TinyLlama-1.1B-Chat-v1.0");

        Assert.Equal(1800, seven.TrainingDetails.EstimatedThroughputTokensPerSec);
        Assert.Equal(11455, tiny.TrainingDetails.EstimatedThroughputTokensPerSec); // 1,800 × 7 / 1.1
        Assert.Equal(1.1m, tiny.Throughput!.BaseModelBillions);
        Assert.Contains("× 7B / 1.1B parameters", tiny.Throughput.Rule);
        Assert.True(tiny.EstimatedCost < seven.EstimatedCost);
        var expected = Seconds(seven, "training") * 1.1m / 7m;
        Assert.InRange(Seconds(tiny, "training"), expected - 1, expected + 1);
    }

    [Theory]
    [InlineData("mistralai/Mistral-7B-v0.1", 7)]
    [InlineData("meta-llama/Llama-2-7b-hf", 7)]
    [InlineData("TinyLlama/TinyLlama-1.1B-Chat-v1.0", 1.1)]
    [InlineData("Qwen/Qwen2.5-0.5B-Instruct", 0.5)]
    [InlineData("some/model-without-a-size", 7)]
    public void the_size_is_read_from_the_models_name(string model, double billions) =>
        Assert.Equal((decimal)billions, BaseModelSizes.BillionsOf(model));

    [Fact]
    public void more_gpus_scale_throughput_linearly_and_warn_when_fixed_overheads_dominate()
    {
        var small = new DatasetFigures("small", 5, 1_000);
        var one = Estimate(small);
        var four = Estimate(small, gpus: 4);

        Assert.Equal(4m, four.Throughput!.GpuScaling);
        Assert.Equal(7200, four.TrainingDetails.EstimatedThroughputTokensPerSec);
        Assert.True(four.EstimatedCost > one.EstimatedCost);
        var warning = Assert.Single(four.Warnings!, w => w.Contains("GPUs cost"));
        Assert.Contains("4 GPUs cost $", warning);
        Assert.Contains("start-up and saving take 15 min whatever the number of GPUs", warning);
        Assert.DoesNotContain(one.Warnings!, w => w.Contains("GPUs cost"));

        // a long run: 4 GPUs cut the time by far more than a quarter, no warning
        var large = Estimate(new DatasetFigures("large", 100_000, 200_000_000), gpus: 4);
        Assert.DoesNotContain(large.Warnings!, w => w.Contains("GPUs cost"));
    }

    [Theory]
    [InlineData(5, 1_000, 0, 1, 3, 1, null)]
    [InlineData(50, 12_345, 10, 4, 3, 2, null)]
    [InlineData(997, 1_234_567, 0, 7, 5, 3, 0.1)]
    [InlineData(12_345, 98_765_432, 123, 16, 10, 8, 0.5)]
    [InlineData(3, 77, 0, 1, 1, 5, 0.01)]
    public void the_lines_add_up_to_the_total_to_the_cent_and_the_second(
        int pairs, long tokens, long validation, int batch, int epochs, int gpus, double? split)
    {
        var e = Estimate(new DatasetFigures("d", pairs, tokens, tokens * 9 / 10, validation, 4096), batch, epochs, gpus, split: (decimal?)split);

        Assert.Equal(e.EstimatedCost, e.Lines!.Sum(l => l.Cost));
        Assert.Equal(e.CostBreakdown.Compute, e.Lines!.Where(l => l.Id != "storage").Sum(l => l.Cost));
        Assert.All(e.Lines!, l => Assert.Equal(l.Cost, Math.Round(l.Cost, 2)));
        Assert.Equal(e.EstimatedDurationHours, Math.Round(e.Lines!.Sum(l => l.Seconds) / 3600m, 2, MidpointRounding.AwayFromZero));
        Assert.Equal(600, Seconds(e, "startup"));
        Assert.Equal(300, Seconds(e, "final_save"));
    }

    [Fact]
    public void without_validation_examples_there_is_no_validation_line_and_a_warning()
    {
        var none = Estimate(new DatasetFigures("d", 100, 20_000), epochs: 3);
        Assert.DoesNotContain(none.Lines!, l => l.Id == "validation");
        Assert.Contains(none.Warnings!, w => w.Contains("no validation examples"));
        Assert.Equal(0, none.Validation!.Examples);

        var own = Estimate(new DatasetFigures("d", 100, 20_000, ValidationPairs: 10), epochs: 3);
        Assert.Equal(900, Seconds(own, "validation"));

        // a 10% split moves 10 of the 100 training examples: 90 train in 23 steps per epoch, and validation runs
        var split = Estimate(new DatasetFigures("d", 100, 20_000), epochs: 3, split: 0.1m);
        Assert.Equal((10L, 0L, 10L), (split.Validation!.Examples, split.Validation.FromDataset, split.Validation.FromSplit));
        Assert.Equal(23, split.TrainingDetails.StepsPerEpoch);
        Assert.Equal(900, Seconds(split, "validation"));
        Assert.DoesNotContain(split.Warnings!, w => w.Contains("no validation examples"));
    }

    [Theory]
    [InlineData(100, 0.1, 10)]
    [InlineData(5, 0.1, 1)]    // at least one
    [InlineData(2, 0.5, 1)]    // at least one left to train on
    [InlineData(1, 0.5, 0)]    // one example is not split
    [InlineData(999, 0.25, 249)]
    public void the_split_moves_floor_of_the_share_at_least_one_and_leaves_one(int examples, double share, int moved) =>
        Assert.Equal(moved, ValidationSplit.Moved(examples, (decimal)share));

    [Fact]
    public void every_preset_description_states_its_own_learning_rate_rank_and_epochs_correctly()
    {
        foreach (var preset in Presets.All)
        {
            var h = preset.Hyperparameters;
            foreach (Match rate in Regex.Matches(preset.Description, @"\b(\d)e-(\d)\b"))
            {
                Assert.Equal(decimal.Parse($"{rate.Groups[1]}E-{rate.Groups[2]}", NumberStyles.Float, CultureInfo.InvariantCulture), h.LearningRate);
            }

            foreach (Match rank in Regex.Matches(preset.Description, @"rank[ -](\d+)"))
            {
                Assert.Equal(int.Parse(rank.Groups[1].Value, CultureInfo.InvariantCulture), h.LoraRank);
            }
        }

        var byRate = Presets.All.Where(p => p.Id != Presets.Custom).OrderBy(p => p.Hyperparameters.LearningRate).ToList();
        Assert.Contains("lowest learning rate", byRate[0].Description);
        Assert.Contains("highest learning rate", byRate[^1].Description);
        Assert.DoesNotContain(Presets.All, p => p.Description.Contains("low learning rate") && p != byRate[0]);
    }
}
