using LoraPipeline.Trainer.Data;

namespace LoraPipeline.Trainer.Training;

/// <summary>The dataset rendered and tokenized: train and validation examples, and what was cut.</summary>
public sealed record PreparedData(
    IReadOnlyList<TokenizedExample> Train,
    IReadOnlyList<TokenizedExample> Validation,
    int Truncated,
    int WithoutTrainedTokens)
{
    /// <summary>Renders each conversation, then cuts it to <paramref name="maxSeqLen"/> tokens (counting the cuts).</summary>
    public static PreparedData Build(IReadOnlyList<ChatExample> examples, ChatRenderer renderer, int maxSeqLen)
    {
        var train = new List<TokenizedExample>();
        var validation = new List<TokenizedExample>();
        var truncated = 0;
        var empty = 0;
        foreach (var example in examples)
        {
            var (ids, weights) = renderer.Render(example.Messages);
            var cut = ids.Count > maxSeqLen;
            if (cut)
            {
                truncated++;
                ids.RemoveRange(maxSeqLen, ids.Count - maxSeqLen);
                weights.RemoveRange(maxSeqLen, weights.Count - maxSeqLen);
            }

            // the first token is never predicted, so its weight does not count
            if (weights.Skip(1).All(w => w == 0))
            {
                empty++;
            }

            var tokenized = new TokenizedExample([.. ids], [.. weights], cut, example.Line);
            (example.IsValidation ? validation : train).Add(tokenized);
        }

        return new PreparedData(train, validation, truncated, empty);
    }
}
