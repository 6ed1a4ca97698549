namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// Running statistics over valid examples. Each worker fills its own; they are merged at the end, which is
/// correct because every figure is a sum, a count or a histogram (order does not matter).
/// </summary>
internal sealed class StatisticsAccumulator(int maxSequenceLength)
{
    private readonly IntHistogram _messagesPerExample = new();
    private readonly IntHistogram _tokensPerExample = new();
    private readonly IntHistogram _assistantTokensPerExample = new();
    private long _trainingPairs;
    private long _validationPairs;
    private long _missingSystem;
    private long _missingUser;
    private long _overMaxLength;
    private long _billableTokens;

    public void Add(in ExampleFigures example)
    {
        _messagesPerExample.Add(example.Messages);
        _tokensPerExample.Add(example.Tokens);
        _assistantTokensPerExample.Add(example.AssistantTokens);
        if (example.Split == ExampleSplit.Validation)
        {
            _validationPairs++;
        }
        else
        {
            _trainingPairs++;
        }

        _missingSystem += example.HasSystem ? 0 : 1;
        _missingUser += example.HasUser ? 0 : 1;
        _overMaxLength += example.Tokens > maxSequenceLength ? 1 : 0;
        _billableTokens += Math.Min(example.Tokens, maxSequenceLength);
    }

    public void Merge(StatisticsAccumulator other)
    {
        _messagesPerExample.Merge(other._messagesPerExample);
        _tokensPerExample.Merge(other._tokensPerExample);
        _assistantTokensPerExample.Merge(other._assistantTokensPerExample);
        _trainingPairs += other._trainingPairs;
        _validationPairs += other._validationPairs;
        _missingSystem += other._missingSystem;
        _missingUser += other._missingUser;
        _overMaxLength += other._overMaxLength;
        _billableTokens += other._billableTokens;
    }

    public DatasetStatistics ToStatistics(IReadOnlyList<string> sampleData)
    {
        var examples = _messagesPerExample.Count;
        var totalMessages = _messagesPerExample.Sum;
        var totalTokens = _tokensPerExample.Sum;
        return new DatasetStatistics(
            TotalTrainingPairs: _trainingPairs,
            TotalValidationPairs: _validationPairs,
            TotalTokens: totalTokens,
            AvgTurnsPerConversation: Rounding.TwoDecimals(totalMessages, examples),
            AvgTokensPerTurn: Rounding.TwoDecimals(totalTokens, totalMessages),
            SampleData: sampleData,
            ValidationReport: new ValidationReport(
                ExampleCount: examples,
                ExamplesMissingSystem: _missingSystem,
                ExamplesMissingUser: _missingUser,
                MessagesPerExample: _messagesPerExample.ToDistribution(),
                TokensPerExample: _tokensPerExample.ToDistribution(),
                AssistantTokensPerExample: _assistantTokensPerExample.ToDistribution(),
                MaxSequenceLength: maxSequenceLength,
                ExamplesOverMaxLength: _overMaxLength,
                BillableTokens: _billableTokens,
                MessagesHistogram: _messagesPerExample.Bins(),
                TokensHistogram: _tokensPerExample.Bins(),
                AssistantTokensHistogram: _assistantTokensPerExample.Bins()));
    }
}
