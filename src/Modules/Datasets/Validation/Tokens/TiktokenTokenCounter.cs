using System.Buffers;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// Counts tokens with a tiktoken tokenizer, faster than calling it directly, with the same result.
/// <para>
/// Tiktoken counts a text as the sum of the counts of the words its pre-tokenization pattern splits it into.
/// This counter splits with its own instance of that pattern and remembers each word's count in a plain
/// dictionary, calling the tokenizer only for words it has not seen. Measured on the benchmark dataset with two
/// workers: 6x less CPU than <c>tokenizer.CountTokens(text)</c>, because (1) Microsoft.ML.Tokenizers shares one
/// static <see cref="Regex"/> between all its tokenizer instances, and a Regex used from two threads at once
/// builds a new matcher per call (about 1 GB of garbage per 50 MB of text), and (2) its own word cache takes a
/// lock and updates an LRU list on every hit.
/// </para>
/// <para>
/// Texts containing a special token (<c>&lt;|endoftext|&gt;</c>, ...), encodings without a known pattern and
/// tokenizers with a normalizer are left to the tokenizer itself. Not thread-safe: one instance per worker.
/// </para>
/// </summary>
internal sealed class TiktokenTokenCounter : ITokenCounter
{
    /// <summary>Words longer than this are rare and varied; caching them would only evict useful entries.</summary>
    public const int MaxCachedWordLength = 32;

    /// <summary>Bounds the cache (a few MB); it is emptied when full, which keeps it fitted to recent text.</summary>
    public const int DefaultMaxCachedWords = 100_000;

    private readonly TiktokenTokenizer _tokenizer;
    private readonly Regex? _wordPattern;
    private readonly SearchValues<char>? _specialTokenStarts;
    private readonly SearchValues<string>? _specialTokens;
    private readonly int _maxCachedWords;
    private readonly Dictionary<string, int> _wordTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _wordTokensBySpan;

    /// <param name="wordPattern">The encoding's pre-tokenization pattern (<see cref="TiktokenPatterns"/>), or null to call the tokenizer for every text.</param>
    public TiktokenTokenCounter(TiktokenTokenizer tokenizer, string? wordPattern, int maxCachedWords = DefaultMaxCachedWords)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCachedWords, 1);
        _tokenizer = tokenizer;
        _maxCachedWords = maxCachedWords;
        _wordTokensBySpan = _wordTokens.GetAlternateLookup<ReadOnlySpan<char>>();
        if (wordPattern is not null && tokenizer.Normalizer is null)
        {
            _wordPattern = new Regex(wordPattern, RegexOptions.Compiled); // this worker's own: see the class comment
            if (tokenizer.SpecialTokens is { Count: > 0 } special)
            {
                _specialTokenStarts = SearchValues.Create([.. special.Keys.Select(token => token[0]).Distinct()]);
                _specialTokens = SearchValues.Create([.. special.Keys], StringComparison.Ordinal);
            }
        }
    }

    public int CountTokens(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return 0;
        }

        if (_wordPattern is null || HoldsSpecialToken(text))
        {
            return _tokenizer.CountTokens(text);
        }

        var total = 0;
        foreach (var word in _wordPattern.EnumerateMatches(text))
        {
            total += CountWord(text.Slice(word.Index, word.Length));
        }

        return total;
    }

    /// <summary>Tests for a special token's first character ('&lt;' in cl100k) first: cheap, and most texts have none.</summary>
    private bool HoldsSpecialToken(ReadOnlySpan<char> text) =>
        _specialTokenStarts is not null && text.ContainsAny(_specialTokenStarts) && text.ContainsAny(_specialTokens!);

    private int CountWord(ReadOnlySpan<char> word)
    {
        if (_wordTokensBySpan.TryGetValue(word, out var cached))
        {
            return cached;
        }

        var count = _tokenizer.CountTokens(word, considerPreTokenization: false, considerNormalization: false);
        if (word.Length <= MaxCachedWordLength)
        {
            if (_wordTokens.Count >= _maxCachedWords)
            {
                _wordTokens.Clear();
            }

            _wordTokensBySpan[word] = count;
        }

        return count;
    }
}

/// <summary>
/// Pre-tokenization patterns of tiktoken encodings, as Microsoft.ML.Tokenizers 2.0.1 writes OpenAI's
/// (tiktoken_ext/openai_public.py). The tests check that counting with them equals the tokenizer's own count.
/// </summary>
internal static class TiktokenPatterns
{
    public const string Cl100kBase = @"'(?i:[sdmt]|ll|ve|re)|(?>[^\r\n\p{L}\p{N}]?)(?>\p{L}+)|(?>\p{N}{1,3})| ?(?>[^\s\p{L}\p{N}]+)(?>[\r\n]*)|(?>\s+)$|\s*[\r\n]|\s+(?!\S)|\s";

    public static string? ForEncoding(string encodingName) => encodingName switch
    {
        "cl100k_base" => Cl100kBase,
        _ => null,
    };
}

/// <summary>
/// Hands each worker its own counter and <see cref="TiktokenTokenizer"/>. Instances created for one encoding
/// share its vocabulary, so an extra one costs little more than its caches. Safe to call from any thread.
/// </summary>
internal sealed class TiktokenTokenCounterFactory : ITokenCounterFactory
{
    public const string DefaultEncoding = "cl100k_base";

    private readonly string? _wordPattern;

    /// <param name="encodingName">A tiktoken encoding whose data package is referenced (cl100k_base here).</param>
    public TiktokenTokenCounterFactory(string encodingName = DefaultEncoding)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(encodingName);
        EncodingName = encodingName;
        _wordPattern = TiktokenPatterns.ForEncoding(encodingName);
        // Fails now, rather than on the first dataset, when the encoding's data package is missing.
        _ = CreateCounter();
    }

    public string EncodingName { get; }

    public ITokenCounter CreateCounter() =>
        new TiktokenTokenCounter(TiktokenTokenizer.CreateForEncoding(EncodingName), _wordPattern);
}
