namespace LoraPipeline.Datasets.Validation;

internal enum ExampleSplit
{
    /// <summary>No <c>split</c> key: the example trains.</summary>
    Unspecified,
    Train,
    Validation,
}

/// <summary>What the statistics need from one valid example.</summary>
/// <param name="Messages">Number of messages (turns); 2 for a prompt/completion pair.</param>
/// <param name="Tokens">The example's tokens, see <see cref="ExampleTokens"/>.</param>
/// <param name="AssistantTokens">Tokens of the assistant contents only (what the model learns to write).</param>
internal readonly record struct ExampleFigures(
    int Messages,
    int Tokens,
    int AssistantTokens,
    bool HasSystem,
    bool HasUser,
    ExampleSplit Split);

/// <summary>
/// How an example's tokens are counted, the usual way for chat data (OpenAI's cookbook): every message costs
/// <see cref="PerMessage"/> tokens for its framing plus the tokens of each of its string values (role, content,
/// name), a name costs <see cref="PerName"/> more, and the example costs <see cref="ReplyPriming"/> for the
/// assistant reply's priming. A prompt/completion pair counts as a user message and an assistant message.
/// </summary>
internal static class ExampleTokens
{
    public const int PerMessage = 3;
    public const int PerName = 1;
    public const int ReplyPriming = 3;
}
