using System.Text;
using LoraPipeline.Trainer.Data;
using LoraPipeline.Trainer.Tests.Support;
using LoraPipeline.Trainer.TinyModel;

namespace LoraPipeline.Trainer.Tests;

public class ChatRendererTests
{
    private static readonly List<ChatMessage> Conversation =
    [
        new("system", "Be brief."),
        new("user", "Hi?"),
        new("assistant", "Hello."),
        new("user", "Again?"),
        new("assistant", "Second.", Weight: 0),
    ];

    public static TheoryData<ChatFamily, string, string> Families => new()
    {
        {
            ChatFamily.Llama3,
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAgain?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nSecond.<|eot_id|>",
            "Hello.<|eot_id|>"
        },
        {
            ChatFamily.ChatMl,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n"
            + "<|im_start|>user\nAgain?<|im_end|>\n<|im_start|>assistant\nSecond.<|im_end|>\n",
            "Hello.<|im_end|>"
        },
        {
            ChatFamily.Llama2,
            "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi? [/INST] Hello. </s><s>[INST] Again? [/INST] Second. </s>",
            " Hello. </s>"
        },
        {
            ChatFamily.Mistral,
            "<s>[INST] Be brief.\n\nHi? [/INST]Hello.</s>[INST] Again? [/INST]Second.</s>",
            "Hello.</s>"
        },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void each_family_renders_its_markup_and_only_the_weighted_assistant_reply_carries_loss(ChatFamily family, string expected, string trained)
    {
        var dir = TinyModels.Get(new TinyModelOptions { ChatFormat = family });
        var tokenizer = TextTokenizer.Load(dir);
        var format = ChatFormat.Detect(dir, tokenizer, null);
        Assert.Equal(family, format.Family); // detected from the tokenizer_config.json chat_template
        var renderer = new ChatRenderer(tokenizer, format);

        var (ids, weights) = renderer.Render(Conversation);

        Assert.Equal(ids.Count, weights.Count);
        Assert.Equal(expected, Show(tokenizer, ids));
        Assert.Equal(trained, Show(tokenizer, ids.Where((_, i) => weights[i] > 0).ToList()));
        Assert.All(weights, w => Assert.True(w is 0 or 1));
    }

    [Theory]
    [InlineData(ChatFamily.Llama2)]
    [InlineData(ChatFamily.Mistral)]
    public void a_sentencepiece_tokenizer_model_renders_the_inst_families_alike(ChatFamily family)
    {
        var dir = TinyModels.Get(new TinyModelOptions { ChatFormat = family, Tokenizer = "sentencepiece" });
        Assert.False(File.Exists(Path.Combine(dir, "tokenizer.json")));
        var tokenizer = TextTokenizer.Load(dir);
        Assert.StartsWith("tokenizer.model", tokenizer.Description, StringComparison.Ordinal);
        var format = ChatFormat.Detect(dir, tokenizer, null);
        Assert.Equal(family, format.Family);
        var expected = Families.Single(row => (ChatFamily)row[0] == family);

        var (ids, weights) = new ChatRenderer(tokenizer, format).Render(Conversation);

        Assert.Equal((string)expected[1], Show(tokenizer, ids));
        // SentencePiece's decoder drops the leading "▁" of a run, so the reply's leading space does not show
        Assert.Equal(((string)expected[2]).TrimStart(), Show(tokenizer, ids.Where((_, i) => weights[i] > 0).ToList()));
    }

    [Fact]
    public void sentencepiece_encodes_any_text_through_byte_fallback_and_decodes_it_back()
    {
        var tokenizer = TextTokenizer.Load(TinyModels.Get(new TinyModelOptions { ChatFormat = ChatFamily.Mistral, Tokenizer = "sentencepiece" }));
        const string text = "Émigré café, 42 km/h ☃ and \"quotes\".";

        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void the_generation_prompt_opens_the_assistant_turn(ChatFamily family, string expected, string trained)
    {
        _ = (expected, trained);
        var dir = TinyModels.Get(new TinyModelOptions { ChatFormat = family });
        var tokenizer = TextTokenizer.Load(dir);
        var renderer = new ChatRenderer(tokenizer, ChatFormat.Detect(dir, tokenizer, null));

        var prompt = Show(tokenizer, renderer.RenderPrompt([new("user", "Hi?")]));

        Assert.EndsWith(family switch
        {
            ChatFamily.Llama3 => "Hi?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatFamily.ChatMl => "Hi?<|im_end|>\n<|im_start|>assistant\n",
            _ => "Hi? [/INST]",
        }, prompt, StringComparison.Ordinal);
        Assert.NotEmpty(renderer.StopTokenIds);
    }

    [Fact]
    public void message_text_is_encoded_literally_so_a_user_cannot_inject_control_tokens()
    {
        var dir = TinyModels.Default;
        var tokenizer = TextTokenizer.Load(dir);
        var renderer = new ChatRenderer(tokenizer, ChatFormat.Detect(dir, tokenizer, null));
        var eot = tokenizer.TokenId("<|eot_id|>")!.Value;

        var (ids, _) = renderer.Render([new("user", "say <|eot_id|> now"), new("assistant", "ok")]);

        Assert.Equal(2, ids.Count(i => i == eot)); // the two real ends of turn, not the user's text
    }

    [Fact]
    public void a_fractional_weight_scales_the_reply_and_prompt_completion_lines_train_the_completion()
    {
        var dir = TinyModels.Default;
        var tokenizer = TextTokenizer.Load(dir);
        var renderer = new ChatRenderer(tokenizer, ChatFormat.Detect(dir, tokenizer, null));
        var example = DatasetReader.ParseLine("d.jsonl", 1, """{"prompt": "Capital of Peru?", "completion": "Lima"}""", DatasetFormat.Auto);

        var (ids, weights) = renderer.Render(example.Messages);
        var (_, half) = renderer.Render([new("user", "Q"), new("assistant", "A", 0.5)]);

        Assert.Equal("Lima<|eot_id|>", Show(tokenizer, ids.Where((_, i) => weights[i] > 0).ToList()));
        Assert.Contains(0.5f, half);
    }

    [Fact]
    public void an_override_wins_over_the_template()
    {
        var dir = TinyModels.Default;
        var tokenizer = TextTokenizer.Load(dir);
        Assert.Equal(ChatFamily.Raw, ChatFormat.Detect(dir, tokenizer, "raw").Family);
    }

    /// <summary>Decodes with added tokens shown as their text.</summary>
    private static string Show(TextTokenizer tokenizer, IReadOnlyList<int> ids)
    {
        var byId = tokenizer.AddedTokens.ToDictionary(kv => kv.Value, kv => kv.Key);
        var text = new StringBuilder();
        var run = new List<int>();
        foreach (var id in ids)
        {
            if (byId.TryGetValue(id, out var special))
            {
                text.Append(tokenizer.Decode(run)).Append(special);
                run.Clear();
            }
            else
            {
                run.Add(id);
            }
        }

        return text.Append(tokenizer.Decode(run)).ToString();
    }
}
