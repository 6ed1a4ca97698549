namespace LoraPipeline.Datasets.Validation;

/// <summary>Counts the tokens of a text with the training model's tokenizer.</summary>
/// <remarks>
/// An instance is used by one thread at a time; the validator asks a <see cref="ITokenCounterFactory"/> for
/// one per worker, so implementations need no locking of their own.
/// </remarks>
internal interface ITokenCounter
{
    int CountTokens(ReadOnlySpan<char> text);
}

/// <summary>Makes one <see cref="ITokenCounter"/> per validation worker. Must be safe to call from any thread.</summary>
internal interface ITokenCounterFactory
{
    ITokenCounter CreateCounter();
}
