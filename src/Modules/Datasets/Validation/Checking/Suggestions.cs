namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// "Did you mean" help. Exact synonyms come first (other dataset formats name things differently: ShareGPT's
/// "from"/"value", Gemini's "model", ...), then case, then typos within two edits.
/// </summary>
internal static class Suggestions
{
    public const int MaxShownValueLength = 40;

    public static readonly string[] Roles = ["system", "user", "assistant"];
    public static readonly string[] ChatTopLevelKeys = ["messages", "split"];
    public static readonly string[] MessageKeys = ["role", "content", "name", "weight"];
    public static readonly string[] PromptCompletionKeys = ["prompt", "completion", "split"];
    public static readonly string[] Splits = ["train", "validation"];

    private static readonly Dictionary<string, string> RoleSynonyms = Synonyms(
        ("assistant", ["bot", "model", "ai", "gpt", "chatgpt", "chatbot", "agent", "llm", "answer", "response", "output", "completion"]),
        ("user", ["human", "customer", "client", "person", "usr", "question", "input", "prompt", "prompter", "query"]),
        ("system", ["sys", "developer", "instruction", "instructions", "context", "system_prompt", "preamble"]));

    private static readonly Dictionary<string, string> KeySynonyms = Synonyms(
        ("messages", ["conversations", "conversation", "dialog", "dialogue", "chat", "turns", "history", "data"]),
        ("split", ["dataset_split", "subset", "partition", "set", "fold"]),
        ("role", ["from", "speaker", "author", "sender", "who", "type"]),
        ("content", ["value", "text", "message", "body", "utterance", "parts", "contents"]),
        ("name", ["username", "user_name", "speaker_name", "display_name"]),
        ("weight", ["loss_weight", "train", "trainable", "loss_mask", "mask"]),
        ("prompt", ["input", "instruction", "question", "query", "source", "context"]),
        ("completion", ["output", "response", "answer", "target", "reply", "label"]));

    private static readonly Dictionary<string, string> SplitSynonyms = Synonyms(
        ("train", ["training", "trn"]),
        ("validation", ["val", "valid", "validate", "dev", "development", "eval", "evaluation", "test", "holdout"]));

    public static string UnknownRole(string role)
    {
        var allowed = $"Allowed roles: {List(Roles)}.";
        if (role.ToUpperInvariant() is "TOOL" or "FUNCTION" or "IPYTHON" or "OBSERVATION")
        {
            return $"{allowed} Tool and function messages are not supported: remove them, or fold the tool's result into the next assistant message.";
        }

        return DidYouMean(role, Roles, RoleSynonyms) is { } match
            ? $"{allowed} Did you mean \"{match}\"?{(string.Equals(match, role, StringComparison.OrdinalIgnoreCase) ? " Roles are lower-case." : "")}"
            : allowed;
    }

    public static string UnknownKey(string key, string[] allowed)
    {
        var text = $"Allowed keys here: {List(allowed)}.";
        if (DidYouMean(key, allowed, KeySynonyms) is { } match)
        {
            text += $" Did you mean \"{match}\"?";
        }
        else
        {
            text += $" Remove \"{Shown(key)}\": extra keys are refused so that a misspelt key is not silently ignored.";
        }

        if (key is "conversations" or "from" or "value")
        {
            text += " This looks like ShareGPT data: rename \"conversations\" to \"messages\", \"from\" to \"role\" and \"value\" to \"content\", and map \"human\"/\"gpt\" to \"user\"/\"assistant\".";
        }

        return text;
    }

    public static string InvalidSplit(string? value)
    {
        var text = $"Use \"train\" or \"validation\", or leave \"split\" out to train on the example.";
        return value is not null && DidYouMean(value, Splits, SplitSynonyms) is { } match
            ? $"{text} Did you mean \"{match}\"?"
            : text;
    }

    /// <summary>A value as shown inside a message: shortened, and with control characters made visible.</summary>
    public static string Shown(string value)
    {
        var shown = value.Length > MaxShownValueLength ? string.Concat(value.AsSpan(0, MaxShownValueLength), "…") : value;
        return shown.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);
    }

    public static string List(string[] values) => string.Join(", ", values.Select(v => $"\"{v}\""));

    /// <summary>The allowed value <paramref name="value"/> most likely stands for, or null.</summary>
    public static string? DidYouMean(string value, string[] allowed, IReadOnlyDictionary<string, string> synonyms)
    {
        var trimmed = value.Trim().TrimEnd(':');
        if (synonyms.TryGetValue(trimmed, out var synonym) && allowed.Contains(synonym))
        {
            return synonym;
        }

        if (allowed.FirstOrDefault(a => string.Equals(a, trimmed, StringComparison.OrdinalIgnoreCase)) is { } sameIgnoringCase)
        {
            return sameIgnoringCase;
        }

        var lower = trimmed.ToLowerInvariant();
        return allowed
            .Select(a => (Allowed: a, Distance: EditDistance(lower, a)))
            .Where(c => c.Distance <= Math.Min(2, c.Allowed.Length / 3))
            .OrderBy(c => c.Distance)
            .Select(c => c.Allowed)
            .FirstOrDefault();
    }

    /// <summary>Levenshtein distance (insertions, deletions, substitutions); inputs are short names.</summary>
    public static int EditDistance(string a, string b)
    {
        if (a.Length > 64 || b.Length > 64)
        {
            return int.MaxValue; // no allowed name is that long
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    private static Dictionary<string, string> Synonyms(params (string Allowed, string[] Aliases)[] groups)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (allowed, aliases) in groups)
        {
            foreach (var alias in aliases)
            {
                map.TryAdd(alias, allowed); // an alias shared by two groups ("input") is resolved by the allowed list
            }
        }

        return map;
    }
}
