namespace LoraPipeline.Trainer.Data;

/// <summary>One message of a conversation; <see cref="Weight"/> scales its loss (assistant messages only).</summary>
public sealed record ChatMessage(string Role, string Content, double Weight = 1.0)
{
    public bool IsAssistant => Role == "assistant";
}

/// <summary>One line of the dataset: its messages (prompt/completion lines become user + assistant) and split.</summary>
public sealed record ChatExample(IReadOnlyList<ChatMessage> Messages, bool IsValidation, int Line);

/// <summary>
/// Token ids and, per token, the weight of the loss for predicting that token from the ones before it
/// (0 for everything but the assistant's replies).
/// </summary>
public sealed record TokenizedExample(int[] Ids, float[] Weights, bool Truncated, int Line)
{
    public int Length => Ids.Length;

    public double TrainedWeight => Weights.Sum(w => (double)w);
}
