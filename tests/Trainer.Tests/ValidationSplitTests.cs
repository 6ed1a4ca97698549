using LoraPipeline.Trainer.Data;
using LoraPipeline.Trainer.Training;

namespace LoraPipeline.Trainer.Tests;

/// <summary>job.json's validation_split (docs/cluster-contract.md): a seeded, repeatable hold-out of training examples.</summary>
public class ValidationSplitTests
{
    private static List<ChatExample> Examples(int train, int validation) =>
        Enumerable.Range(1, train + validation).Select(i => new ChatExample([], IsValidation: i > train, Line: i)).ToList();

    [Fact]
    public void floor_of_the_share_of_the_training_examples_becomes_validation_and_marked_ones_stay()
    {
        var split = ValidationSplitter.Apply(Examples(37, 5), 0.1, seed: 7);
        Assert.Equal(34, split.Count(e => !e.IsValidation));
        Assert.Equal(8, split.Count(e => e.IsValidation));
        Assert.All(split.Where(e => e.Line > 37), e => Assert.True(e.IsValidation));
    }

    [Fact]
    public void the_same_seed_holds_out_the_same_examples_and_another_seed_others()
    {
        static int[] HeldOut(long seed) => ValidationSplitter.Apply(Examples(100, 0), 0.2, seed).Where(e => e.IsValidation).Select(e => e.Line).ToArray();
        Assert.Equal(HeldOut(42), HeldOut(42));
        Assert.NotEqual(HeldOut(42), HeldOut(43));
        Assert.Equal(20, HeldOut(42).Length);
    }

    [Theory]
    [InlineData(1, 0.5, 0)]
    [InlineData(2, 0.5, 1)]
    [InlineData(5, 0.1, 1)]
    [InlineData(10, 0, 0)]
    public void at_least_one_is_held_out_and_one_left_to_train(int examples, double share, int moved) =>
        Assert.Equal(moved, ValidationSplitter.Moved(examples, share));
}
