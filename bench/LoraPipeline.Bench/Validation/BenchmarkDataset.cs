using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LoraPipeline.Bench.Validation;

/// <summary>
/// Writes a realistic brightrun_lora_v4 dataset of a given size, the same for the same seed: conversations with
/// and without a system prompt, one to four exchanges, English-like text (frequent words and a long tail of rare
/// ones), numbers, inline code and fenced code blocks, some non-ASCII text, a few very long examples,
/// split = validation on about 5 %, optional names and weights, and a handful of invalid lines.
/// </summary>
internal sealed class BenchmarkDataset
{
    /// <summary>Part of the cached file's name: bump it whenever the generated content changes.</summary>
    public const int GeneratorVersion = 1;

    private const int InvalidLineEvery = 50_000;

    private static readonly string[] CommonWords = ("the of and to a in is it you that he was for on are with as I his they be at one have this " +
        "from or had by word but what some we can out other were all there when up use your how said an each she which do their time " +
        "if will way about many then them write would like so these her long make thing see him two has look more day could go come did " +
        "number sound no most people my over know water than call first who may down side been now find any new work part take get place " +
        "made live where after back little only round man year came show every good me give our under name very through just form sentence " +
        "great think say help low line differ turn cause much mean before move right boy old too same tell does set three want air well also " +
        "play small end put home read hand port large spell add even land here must big high such follow act why ask men change went light " +
        "kind off need house picture try us again animal point mother world near build self earth father head stand own page should country " +
        "found answer school grow study still learn plant cover food sun four between state keep eye never last let thought city tree cross " +
        "farm hard start might story saw far sea draw left late run don't while press close night real life few north open seem together next " +
        "white children begin got walk example ease paper group always music those both mark often letter until mile river car feet care " +
        "second book carry took science eat room friend began idea fish mountain stop once base hear horse cut sure watch color face wood main " +
        "function value return error request server database query model training dataset token example config deploy cluster memory").Split(' ');

    private static readonly string[] Syllables = ["ka", "lo", "mer", "tin", "dra", "vel", "os", "qui", "ber", "na", "sto", "ri", "pha", "gen", "ux", "tal", "mo", "cre", "sen", "dor"];

    private static readonly string[] SystemPrompts =
    [
        "You are a helpful assistant.",
        "You are a senior software engineer who answers with working code and a short explanation.",
        "You are a customer support agent for an online bookshop. Be polite and concise.",
        "Answer as a patient maths tutor: explain each step and check the result.",
        "You translate English into French. Reply with the translation only.",
        "You are a careful data analyst. Prefer tables and precise numbers.",
    ];

    private static readonly string[] NonAscii = ["café", "naïve", "jalapeño", "€12.50", "日本語のテキスト", "Привет", "😀", "→", "½ cup", "Zürich"];

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Keep non-ASCII characters as they are, as most real files do, instead of \uXXXX escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private readonly Random _random;
    private readonly string[] _rareWords;
    private readonly StringBuilder _text = new();

    private BenchmarkDataset(int seed)
    {
        _random = new Random(seed);
        _rareWords = Enumerable.Range(0, 20_000).Select(_ => RareWord()).ToArray();
    }

    public static async Task WriteAsync(string path, long targetBytes, int seed, CancellationToken ct)
    {
        var generator = new BenchmarkDataset(seed);
        var temporary = path + ".partial";
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            using var writer = new Utf8JsonWriter(file, WriterOptions);
            long line = 0;
            while (file.Position < targetBytes)
            {
                ct.ThrowIfCancellationRequested();
                line++;
                if (line % InvalidLineEvery == 0)
                {
                    await file.WriteAsync(generator.InvalidLine(line), ct);
                }
                else
                {
                    generator.WriteExample(writer);
                    writer.Flush();
                    writer.Reset();
                }

                file.WriteByte((byte)'\n');
            }
        }

        File.Move(temporary, path, overwrite: true);
    }

    private void WriteExample(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("messages");
        if (Chance(0.7))
        {
            WriteMessage(writer, "system", Chance(0.8) ? Pick(SystemPrompts) : Paragraph(2, 5));
        }

        var exchanges = 1 + Skewed(4);
        var veryLong = Chance(0.01); // over 4 096 tokens: exercises the truncation warning
        for (var i = 0; i < exchanges; i++)
        {
            WriteMessage(writer, "user", Paragraph(1, 4), name: Chance(0.02) ? "customer_" + _random.Next(100) : null);
            WriteMessage(writer, "assistant", veryLong && i == 0 ? Paragraph(300, 400) : AssistantReply(), weight: Chance(0.01) ? 1 : null);
        }

        writer.WriteEndArray();
        var split = _random.NextDouble();
        if (split < 0.05)
        {
            writer.WriteString("split", "validation");
        }
        else if (split < 0.15)
        {
            writer.WriteString("split", "train");
        }

        writer.WriteEndObject();
    }

    private static void WriteMessage(Utf8JsonWriter writer, string role, string content, string? name = null, int? weight = null)
    {
        writer.WriteStartObject();
        writer.WriteString("role", role);
        writer.WriteString("content", content);
        if (name is not null)
        {
            writer.WriteString("name", name);
        }

        if (weight is not null)
        {
            writer.WriteNumber("weight", weight.Value);
        }

        writer.WriteEndObject();
    }

    private string AssistantReply()
    {
        var reply = Paragraph(1, 12);
        return Chance(0.25) ? reply + "\n\n" + CodeBlock() + "\n\n" + Paragraph(1, 3) : reply;
    }

    private string Paragraph(int minSentences, int maxSentences)
    {
        _text.Clear();
        var sentences = _random.Next(minSentences, maxSentences + 1);
        for (var s = 0; s < sentences; s++)
        {
            AppendSentence();
            _text.Append(Chance(0.1) ? "\n" : " ");
        }

        return _text.ToString().TrimEnd();
    }

    private void AppendSentence()
    {
        var words = _random.Next(5, 26);
        for (var w = 0; w < words; w++)
        {
            var word = NextWord();
            _text.Append(w == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
            _text.Append(w == words - 1 ? Pick([".", ".", ".", "?", "!"]) : Chance(0.08) ? ", " : " ");
        }
    }

    private string NextWord()
    {
        var roll = _random.NextDouble();
        return roll switch
        {
            < 0.03 => Number(),
            < 0.04 => $"`{Pick(CommonWords)}_{Pick(CommonWords)}()`",
            < 0.045 => Pick(NonAscii),
            < 0.85 => CommonWords[Skewed(CommonWords.Length)],
            _ => _rareWords[Skewed(_rareWords.Length)],
        };
    }

    private string Number() => _random.Next(4) switch
    {
        0 => _random.Next(1900, 2030).ToString(System.Globalization.CultureInfo.InvariantCulture),
        1 => (_random.NextDouble() * 1000).ToString("F2", System.Globalization.CultureInfo.InvariantCulture),
        2 => _random.Next(100).ToString(System.Globalization.CultureInfo.InvariantCulture) + "%",
        _ => _random.Next(1_000_000).ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
    };

    private string CodeBlock()
    {
        var name = $"{Pick(CommonWords)}_{Pick(CommonWords)}";
        var lines = new List<string> { "```python", $"def {name}({Pick(CommonWords)}, limit={_random.Next(1, 100)}):" };
        var body = _random.Next(2, 12);
        for (var i = 0; i < body; i++)
        {
            lines.Add(_random.Next(4) switch
            {
                0 => $"    {Pick(CommonWords)} = [x * {_random.Next(2, 9)} for x in range(limit) if x % {_random.Next(2, 5)} == 0]",
                1 => $"    if not {Pick(CommonWords)}:\n        raise ValueError(\"{Pick(CommonWords)} is {Pick(CommonWords)}\")",
                2 => $"    # {Pick(CommonWords)} the {Pick(CommonWords)} before we {Pick(CommonWords)}",
                _ => $"    result[\"{Pick(CommonWords)}\"] = {name}_helper({_random.Next(1000)})",
            });
        }

        lines.Add("    return result");
        lines.Add("```");
        return string.Join('\n', lines);
    }

    private byte[] InvalidLine(long line) => Encoding.UTF8.GetBytes((line / InvalidLineEvery % 4) switch
    {
        0 => "{\"messages\": [{\"role\": \"user\", \"content\": \"unterminated",
        1 => "{\"messages\": [{\"role\": \"bot\", \"content\": \"Hi\"}]}",
        2 => "{\"messages\": [{\"role\": \"user\", \"content\": \"\"}, {\"role\": \"assistant\", \"content\": \"ok\"}]}",
        _ => "{\"prompt\": \"2+2?\", \"completion\": \"4\"}",
    });

    private string RareWord()
    {
        var builder = new StringBuilder();
        var syllables = _random.Next(2, 5);
        for (var i = 0; i < syllables; i++)
        {
            builder.Append(Syllables[_random.Next(Syllables.Length)]);
        }

        return builder.ToString();
    }

    /// <summary>0..count-1, small values far more likely (roughly Zipf-like), as word frequencies are.</summary>
    private int Skewed(int count) => (int)(count * Math.Pow(_random.NextDouble(), 3));

    private bool Chance(double probability) => _random.NextDouble() < probability;

    private T Pick<T>(T[] values) => values[_random.Next(values.Length)];
}
