using System.Text;
using System.Text.RegularExpressions;

namespace LoraPipeline.Trainer.TinyModel;

/// <summary>
/// Writes a SentencePiece BPE <c>tokenizer.model</c> the way Llama 2 and Mistral ship theirs: a
/// ModelProto protobuf with pieces &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, the 256 byte-fallback pieces
/// &lt;0x00&gt;..&lt;0xFF&gt;, then the characters and merged pieces (score = minus the merge order, which
/// is how SentencePiece BPE ranks merges), a TrainerSpec (BPE, byte_fallback, special ids) and a
/// NormalizerSpec (identity, dummy prefix, whitespace as "▁"). The merges are learned from the corpus.
/// </summary>
internal static class SentencePieceModelWriter
{
    private const string Space = "\u2581";

    public static IReadOnlyList<string> Write(string path, string corpus, int merges)
    {
        var pieces = Learn(corpus, merges);
        using var model = new MemoryStream();
        foreach (var (piece, score, type) in pieces)
        {
            var message = new MemoryStream();
            String(message, 1, piece);
            Tag(message, 2, 5);
            message.Write(BitConverter.GetBytes(score));
            Varint(message, 3, (ulong)type);
            Bytes(model, 1, message.ToArray());
        }

        var trainer = new MemoryStream();
        Varint(trainer, 3, 2); // model_type BPE
        Varint(trainer, 4, (ulong)pieces.Count); // vocab_size
        Varint(trainer, 35, 1); // byte_fallback
        Varint(trainer, 40, 0); // unk_id
        Varint(trainer, 41, 1); // bos_id
        Varint(trainer, 42, 2); // eos_id
        Varint(trainer, 43, ulong.MaxValue); // pad_id -1
        String(trainer, 45, "<unk>");
        String(trainer, 46, "<s>");
        String(trainer, 47, "</s>");
        Bytes(model, 2, trainer.ToArray());

        var normalizer = new MemoryStream();
        String(normalizer, 1, "identity");
        Varint(normalizer, 3, 1); // add_dummy_prefix
        Varint(normalizer, 4, 0); // remove_extra_whitespaces
        Varint(normalizer, 5, 1); // escape_whitespaces
        Bytes(model, 3, normalizer.ToArray());
        File.WriteAllBytes(path, model.ToArray());
        return pieces.Select(p => p.Piece).ToList();
    }

    /// <summary>Pieces in id order with score and type (1 normal, 2 unknown, 3 control, 6 byte).</summary>
    private static List<(string Piece, float Score, int Type)> Learn(string corpus, int merges)
    {
        var pieces = new List<(string, float, int)> { ("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3) };
        for (var b = 0; b < 256; b++)
        {
            pieces.Add(($"<0x{b:X2}>", 0, 6));
        }

        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Match m in Regex.Matches(corpus, @"\S+"))
        {
            var word = Space + m.Value;
            words[word] = words.GetValueOrDefault(word) + 1;
        }

        var spelled = words.Select(w => (Symbols: SplitChars(w.Key), Count: w.Value)).ToList();
        var merged = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (merged.Count < merges)
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

            var best = pairs.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1 + "\u0000" + p.Key.Item2, StringComparer.Ordinal).First().Key;
            var joined = best.Item1 + best.Item2;
            if (seen.Add(joined))
            {
                merged.Add(joined);
            }

            foreach (var (symbols, _) in spelled)
            {
                for (var i = 0; i + 1 < symbols.Count; i++)
                {
                    if (symbols[i] == best.Item1 && symbols[i + 1] == best.Item2)
                    {
                        symbols[i] = joined;
                        symbols.RemoveAt(i + 1);
                    }
                }
            }
        }

        // merged pieces rank by merge order; single characters come after them, as SentencePiece orders its vocabulary
        for (var i = 0; i < merged.Count; i++)
        {
            pieces.Add((merged[i], -i, 1));
        }

        var characters = words.Keys.SelectMany(SplitChars).Distinct(StringComparer.Ordinal).Where(c => !seen.Contains(c)).Order(StringComparer.Ordinal).ToList();
        foreach (var c in characters)
        {
            pieces.Add((c, -merged.Count - 1, 1));
        }

        return pieces;
    }

    private static List<string> SplitChars(string word)
    {
        var list = new List<string>();
        var e = System.Globalization.StringInfo.GetTextElementEnumerator(word);
        while (e.MoveNext())
        {
            list.Add((string)e.Current);
        }

        return list;
    }

    private static void Tag(Stream s, int field, int wire) => WriteVarint(s, ((ulong)field << 3) | (uint)wire);

    private static void Varint(Stream s, int field, ulong value)
    {
        Tag(s, field, 0);
        WriteVarint(s, value);
    }

    private static void String(Stream s, int field, string value) => Bytes(s, field, Encoding.UTF8.GetBytes(value));

    private static void Bytes(Stream s, int field, byte[] value)
    {
        Tag(s, field, 2);
        WriteVarint(s, (ulong)value.Length);
        s.Write(value);
    }

    private static void WriteVarint(Stream s, ulong value)
    {
        while (value >= 0x80)
        {
            s.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        s.WriteByte((byte)value);
    }
}
