using System.Text.Json;

namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// Counts the tokens of the JSON string the reader is on, decoding it into a reused char buffer: no string is
/// allocated per value. One per worker.
/// </summary>
internal sealed class JsonStringTokens(ITokenCounter counter)
{
    private char[] _chars = new char[16 * 1024];
    private int? _systemTokens;
    private int? _userTokens;
    private int? _assistantTokens;

    /// <summary>Tokens of a role name, which are the same for every message.</summary>
    public int RoleTokens(ChatRole role) => role switch
    {
        ChatRole.System => _systemTokens ??= counter.CountTokens("system"),
        ChatRole.User => _userTokens ??= counter.CountTokens("user"),
        ChatRole.Assistant => _assistantTokens ??= counter.CountTokens("assistant"),
        _ => 0,
    };

    /// <param name="isBlank">True when the string is empty or white space only.</param>
    public int Count(ref Utf8JsonReader reader, out bool isBlank)
    {
        // Unescaped UTF-16 is never longer, in chars, than the escaped UTF-8 it came from, in bytes.
        var maxChars = reader.ValueSpan.Length; // never a ValueSequence: the reader is given one line as one span
        if (_chars.Length < maxChars)
        {
            _chars = new char[Math.Max(maxChars, _chars.Length * 2)];
        }

        var text = _chars.AsSpan(0, reader.CopyString(_chars));
        isBlank = text.IsWhiteSpace();
        return counter.CountTokens(text);
    }
}

internal enum ChatRole
{
    None,
    System,
    User,
    Assistant,
}
