using System.Text.RegularExpressions;

namespace LoraPipeline.Trainer.TinyModel;

/// <summary>
/// Learns byte-level BPE merges from a small corpus, the classic way: split the text with the
/// pre-tokenizer regex, spell each piece in the byte alphabet, then repeatedly merge the most frequent
/// adjacent pair (ties broken by the pair's text, so the result is deterministic).
/// </summary>
internal static class BpeTrainer
{
    public static (List<string> Vocabulary, List<(string Left, string Right)> Merges) Train(string corpus, string pattern, int merges)
    {
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Match match in Regex.Matches(corpus, pattern))
        {
            var piece = ByteLevelAlphabet.Encode(match.Value);
            words[piece] = words.GetValueOrDefault(piece) + 1;
        }

        var vocabulary = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.Char((byte)b).ToString()).ToList();
        var known = new HashSet<string>(vocabulary, StringComparer.Ordinal);
        var spelled = words.Select(w => (Symbols: w.Key.Select(c => c.ToString()).ToList(), Count: w.Value)).ToList();
        var result = new List<(string, string)>();
        while (result.Count < merges)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (symbols, count) in spelled)
            {
                for (var i = 0; i + 1 < symbols.Count; i++)
                {
                    var key = (symbols[i], symbols[i + 1]);
                    pairs[key] = pairs.GetValueOrDefault(key) + count;
                }
            }

            if (pairs.Count == 0)
            {
                break;
            }

            var best = pairs
                .OrderByDescending(p => p.Value)
                .ThenBy(p => p.Key.Item1 + "\u0000" + p.Key.Item2, StringComparer.Ordinal)
                .First().Key;
            var merged = best.Item1 + best.Item2;
            result.Add(best);
            if (known.Add(merged))
            {
                vocabulary.Add(merged);
            }

            foreach (var (symbols, _) in spelled)
            {
                for (var i = 0; i + 1 < symbols.Count; i++)
                {
                    if (symbols[i] == best.Item1 && symbols[i + 1] == best.Item2)
                    {
                        symbols[i] = merged;
                        symbols.RemoveAt(i + 1);
                    }
                }
            }
        }

        return (vocabulary, result);
    }
}
