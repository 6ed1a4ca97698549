using System.Text.Json;
using System.Text.RegularExpressions;
using LoraPipeline.Trainer.Checkpoints;
using Microsoft.ML.Tokenizers;

namespace LoraPipeline.Trainer.Data;

/// <summary>
/// The checkpoint's own tokenizer, read with Microsoft.ML.Tokenizers: a byte-level BPE
/// <c>tokenizer.json</c> (Llama 3, GPT-2 style) becomes a <see cref="BpeTokenizer"/> built from its vocab,
/// merges and pre-tokenizer regexes; a SentencePiece-style <c>tokenizer.json</c> (Llama 2, Mistral) or a
/// <c>tokenizer.model</c> becomes a <see cref="SentencePieceTokenizer"/>. Added/special tokens are kept
/// here, not in the library's tokenizer: message text is always encoded literally (a user writing
/// "&lt;|eot_id|&gt;" gets characters, not the control token), and chat markup asks for them by name.
/// </summary>
public sealed class TextTokenizer
{
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    private readonly Tokenizer _inner;
    private readonly SentencePieceTokenizer? _sentencePiece;
    private readonly Dictionary<string, int> _added;
    private readonly HashSet<int> _addedIds;
    private readonly string[] _addedByLength;
    private readonly bool _addPrefixSpace;

    private TextTokenizer(Tokenizer inner, Dictionary<string, int> added, string description, bool addPrefixSpace = false)
    {
        _inner = inner;
        _sentencePiece = inner as SentencePieceTokenizer;
        _added = added;
        _addedIds = [.. added.Values];
        _addedByLength = [.. added.Keys.OrderByDescending(k => k.Length).ThenBy(k => k, StringComparer.Ordinal)];
        _addPrefixSpace = addPrefixSpace;
        Description = description;
    }

    /// <summary>Which file and kind of tokenizer this is, for logs and training_args.json.</summary>
    public string Description { get; }

    public IReadOnlyDictionary<string, int> AddedTokens => _added;

    public static TextTokenizer Load(string directory)
    {
        var json = Path.Combine(directory, "tokenizer.json");
        if (File.Exists(json))
        {
            return FromTokenizerJson(json);
        }

        var model = Path.Combine(directory, "tokenizer.model");
        if (File.Exists(model))
        {
            return FromSentencePieceModel(model, new Dictionary<string, int>(StringComparer.Ordinal));
        }

        throw new TrainerInputException($"{directory}: neither tokenizer.json nor tokenizer.model found; the base model folder must carry its tokenizer");
    }

    /// <summary>Plain text to ids: no BOS/EOS, and added tokens are not recognised in it.</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        return _sentencePiece is not null
            ? _sentencePiece.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false)
            : _inner.EncodeToIds(_addPrefixSpace ? " " + text : text);
    }

    /// <summary>True for SentencePiece, whose dummy prefix makes separately encoded pieces differ from one whole encoding.</summary>
    public bool IsSentencePiece => _sentencePiece is not null;

    /// <summary>Chat markup to ids: added tokens written in it (e.g. "&lt;|eot_id|&gt;", "[INST]") become their ids.</summary>
    public List<int> EncodeMarkup(string markup)
    {
        var ids = new List<int>();
        foreach (var (text, id) in SplitMarkup(markup))
        {
            if (id is { } special)
            {
                ids.Add(special);
            }
            else
            {
                ids.AddRange(Encode(text!));
            }
        }

        return ids;
    }

    /// <summary>Markup cut into plain text and the added tokens written in it (longest match first).</summary>
    public List<(string? Text, int? Id)> SplitMarkup(string markup)
    {
        var parts = new List<(string?, int?)>();
        var start = 0;
        var i = 0;
        while (i < markup.Length)
        {
            var match = _addedByLength.FirstOrDefault(t => string.CompareOrdinal(markup, i, t, 0, t.Length) == 0);
            if (match is null)
            {
                i++;
                continue;
            }

            if (i > start)
            {
                parts.Add((markup[start..i], null));
            }

            parts.Add((null, _added[match]));
            i += match.Length;
            start = i;
        }

        if (start < markup.Length)
        {
            parts.Add((markup[start..], null));
        }

        return parts;
    }

    /// <summary>
    /// SentencePiece encoding of a whole text with each token's start in it (the library reports offsets in
    /// the normalized text, which has the dummy "▁" in front), so loss weights can follow character ranges.
    /// </summary>
    public List<(int Id, int Start)> EncodeWithStarts(string text)
    {
        if (_sentencePiece is null || text.Length == 0)
        {
            return Encode(text).Select(id => (id, 0)).ToList();
        }

        var tokens = _sentencePiece.EncodeToTokens(text, out var normalized, addBeginningOfSentence: false, addEndOfSentence: false);
        var shift = (normalized?.Length ?? text.Length) - text.Length;
        return tokens.Select(t => (t.Id, Math.Clamp(t.Offset.Start.Value - shift, 0, text.Length - 1))).ToList();
    }

    /// <summary>Ids to text, leaving out added (special) tokens.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var plain = ids.Where(id => !_addedIds.Contains(id)).ToList();
        return _sentencePiece is not null ? _sentencePiece.Decode(plain, considerSpecialTokens: false) : _inner.Decode(plain);
    }

    /// <summary>The id of an added token, or of a vocabulary entry.</summary>
    public int? TokenId(string token)
    {
        if (_added.TryGetValue(token, out var id))
        {
            return id;
        }

        var vocabulary = _inner switch
        {
            BpeTokenizer b => b.Vocabulary,
            SentencePieceTokenizer s => s.Vocabulary,
            _ => null,
        };
        return vocabulary is not null && vocabulary.TryGetValue(token, out var v) ? v : null;
    }

    public bool IsAdded(int id) => _addedIds.Contains(id);

    private static TextTokenizer FromTokenizerJson(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new TrainerInputException($"{path}: not valid JSON ({e.Message})", e);
        }

        using (document)
        {
            var root = document.RootElement;
            var added = new Dictionary<string, int>(StringComparer.Ordinal);
            if (root.TryGetProperty("added_tokens", out var addedTokens) && addedTokens.ValueKind == JsonValueKind.Array)
            {
                foreach (var token in addedTokens.EnumerateArray())
                {
                    added[token.GetProperty("content").GetString()!] = token.GetProperty("id").GetInt32();
                }
            }

            if (!root.TryGetProperty("model", out var model) || !model.TryGetProperty("type", out var typeElement))
            {
                throw new TrainerInputException($"{path}: no model.type; not a Hugging Face tokenizer.json?");
            }

            var type = typeElement.GetString();
            if (type == "BPE" && IsByteLevel(root))
            {
                return ByteLevelBpe(path, root, model, added);
            }

            // SentencePiece-style tokenizer.json (Llama 2, Mistral): Microsoft.ML.Tokenizers 2.0 reads SentencePiece
            // from the tokenizer.model protobuf, which these checkpoints ship beside tokenizer.json.
            var modelFile = Path.Combine(Path.GetDirectoryName(path)!, "tokenizer.model");
            if (type is "BPE" or "Unigram" && File.Exists(modelFile))
            {
                return FromSentencePieceModel(modelFile, added);
            }

            if (type is "BPE" or "Unigram")
            {
                throw new TrainerInputException($"{path}: a SentencePiece-style {type} tokenizer.json needs the tokenizer.model it was made from beside it (only byte-level BPE tokenizer.json files are read directly)");
            }

            throw new TrainerInputException($"{path}: tokenizer model type {type} is not supported (byte-level BPE and SentencePiece BPE/Unigram are)");
        }
    }

    private static TextTokenizer FromSentencePieceModel(string path, Dictionary<string, int> added)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var sp = SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false);
            added.TryAdd(sp.BeginningOfSentenceToken, sp.BeginningOfSentenceId);
            added.TryAdd(sp.EndOfSentenceToken, sp.EndOfSentenceId);
            return new TextTokenizer(sp, added, "tokenizer.model (SentencePiece)");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException or FormatException or IOException)
        {
            throw new TrainerInputException($"{path}: not a SentencePiece model the trainer can read ({e.Message})", e);
        }
    }

    private static bool IsByteLevel(JsonElement root)
    {
        return Mentions(root, "pre_tokenizer") || Mentions(root, "decoder");

        static bool Mentions(JsonElement root, string key) =>
            root.TryGetProperty(key, out var element) && element.ValueKind == JsonValueKind.Object && element.GetRawText().Contains("\"ByteLevel\"", StringComparison.Ordinal);
    }

    private static TextTokenizer ByteLevelBpe(string path, JsonElement root, JsonElement model, Dictionary<string, int> added)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var item in model.GetProperty("vocab").EnumerateObject())
        {
            vocab[item.Name] = item.Value.GetInt32();
        }

        var merges = new List<string>();
        if (model.TryGetProperty("merges", out var mergeList))
        {
            foreach (var merge in mergeList.EnumerateArray())
            {
                // older files write "a b", newer ones ["a", "b"]
                merges.Add(merge.ValueKind == JsonValueKind.Array ? $"{merge[0].GetString()} {merge[1].GetString()}" : merge.GetString()!);
            }
        }

        var addPrefixSpace = false;
        var preTokenizer = root.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind == JsonValueKind.Object
            ? PreTokenizerFor(path, pre, ref addPrefixSpace)
            : new RegexPreTokenizer(new Regex(Gpt2Pattern, RegexOptions.Compiled), null);
        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            ByteLevel = true,
            PreTokenizer = preTokenizer,
        };
        var bpe = BpeTokenizer.Create(options);
        return new TextTokenizer(bpe, added, $"tokenizer.json (byte-level BPE, {vocab.Count} entries, {merges.Count} merges)", addPrefixSpace);
    }

    /// <summary>transformers' pre-tokenizers as ML.Tokenizers ones: Split (Isolated), ByteLevel, Digits, Sequence.</summary>
    private static PreTokenizer? PreTokenizerFor(string path, JsonElement pre, ref bool addPrefixSpace)
    {
        var type = pre.GetProperty("type").GetString();
        switch (type)
        {
            case "Sequence":
                var parts = new List<PreTokenizer>();
                foreach (var item in pre.GetProperty("pretokenizers").EnumerateArray())
                {
                    if (PreTokenizerFor(path, item, ref addPrefixSpace) is { } p)
                    {
                        parts.Add(p);
                    }
                }

                return parts.Count switch
                {
                    0 => null,
                    1 => parts[0],
                    _ => new CompositePreTokenizer(parts, null),
                };
            case "ByteLevel":
                addPrefixSpace |= pre.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.True;
                var useRegex = !pre.TryGetProperty("use_regex", out var ur) || ur.ValueKind != JsonValueKind.False;
                return useRegex ? new RegexPreTokenizer(new Regex(Gpt2Pattern, RegexOptions.Compiled), null) : null;
            case "Split":
                var behavior = pre.TryGetProperty("behavior", out var b) ? b.GetString() : "Isolated";
                var invert = pre.TryGetProperty("invert", out var inv) && inv.ValueKind == JsonValueKind.True;
                if (behavior != "Isolated" || invert)
                {
                    throw new TrainerInputException($"{path}: pre_tokenizer Split with behavior {behavior}{(invert ? " inverted" : "")} is not supported (Isolated is)");
                }

                var pattern = pre.GetProperty("pattern");
                var regex = pattern.TryGetProperty("Regex", out var r)
                    ? r.GetString()!
                    : Regex.Escape(pattern.GetProperty("String").GetString()!);
                try
                {
                    return new RegexPreTokenizer(new Regex(regex, RegexOptions.Compiled), null);
                }
                catch (ArgumentException e)
                {
                    // e.g. possessive quantifiers (?+, ++), which .NET's regex engine does not have
                    throw new TrainerInputException($"{path}: the pre_tokenizer Split regex is not one .NET can compile ({e.Message})", e);
                }
            case "Digits":
                var individual = pre.TryGetProperty("individual_digits", out var d) && d.ValueKind == JsonValueKind.True;
                return new RegexPreTokenizer(new Regex(individual ? @"\p{N}|[^\p{N}]+" : @"\p{N}+|[^\p{N}]+", RegexOptions.Compiled), null);
            default:
                throw new TrainerInputException($"{path}: pre_tokenizer {type} is not supported with a byte-level BPE (Split, ByteLevel, Digits, Sequence are)");
        }
    }
}
