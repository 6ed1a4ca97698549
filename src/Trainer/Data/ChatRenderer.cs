using LoraPipeline.Trainer.Checkpoints;

namespace LoraPipeline.Trainer.Data;

/// <summary>
/// Renders a conversation in its chat family as token ids with a loss weight per token. The markup
/// (role headers, BOS, end-of-turn tokens) is encoded with the tokenizer's added tokens recognised;
/// message text literally. Only assistant text and the token that closes the assistant's turn carry
/// loss, scaled by the message's weight (0 = none); system and user text and all other markup carry 0.
/// </summary>
public sealed class ChatRenderer
{
    private readonly TextTokenizer _tokenizer;
    private readonly Dictionary<string, List<(string? Text, int? Id)>> _markupCache = new(StringComparer.Ordinal);

    public ChatRenderer(TextTokenizer tokenizer, ChatFormat format)
    {
        _tokenizer = tokenizer;
        Format = format;
        foreach (var token in new[] { format.BosToken, format.EosToken })
        {
            if (token is not null && tokenizer.TokenId(token) is null)
            {
                throw new TrainerInputException($"the tokenizer has no token {token}, which the {ChatFormat.Name(format.Family)} chat format needs");
            }
        }
    }

    public ChatFormat Format { get; }

    /// <summary>Ids that end a reply: the format's end-of-turn token (and EOS).</summary>
    public IReadOnlyList<int> StopTokenIds
    {
        get
        {
            var ids = new List<int>();
            foreach (var text in new[] { Format.EosToken, EndOfTurn })
            {
                if (text is not null && _tokenizer.TokenId(text) is { } id && !ids.Contains(id))
                {
                    ids.Add(id);
                }
            }

            return ids;
        }
    }

    private string? EndOfTurn => Format.Family switch
    {
        ChatFamily.Llama3 => "<|eot_id|>",
        ChatFamily.ChatMl => "<|im_end|>",
        _ => Format.EosToken,
    };

    /// <summary>Token ids and weights for a whole conversation (for training and validation).</summary>
    public (List<int> Ids, List<float> Weights) Render(IReadOnlyList<ChatMessage> messages)
    {
        var output = new Output(this);
        switch (Format.Family)
        {
            case ChatFamily.Llama3:
                output.Markup(Format.BosToken, 0);
                foreach (var m in messages)
                {
                    var w = Weight(m);
                    output.Markup($"<|start_header_id|>{m.Role}<|end_header_id|>\n\n", 0);
                    output.Text(m.Content.Trim(), w);
                    output.Markup("<|eot_id|>", w);
                }

                break;
            case ChatFamily.ChatMl:
                output.Markup(Format.BosToken, 0);
                foreach (var m in messages)
                {
                    var w = Weight(m);
                    output.Markup($"<|im_start|>{m.Role}\n", 0);
                    output.Text(m.Content, w);
                    output.Markup("<|im_end|>", w);
                    output.Markup("\n", 0);
                }

                break;
            case ChatFamily.Llama2:
            case ChatFamily.Mistral:
                RenderInst(messages, output, addGenerationPrompt: false);
                break;
            default:
                output.Markup(Format.BosToken, 0);
                foreach (var m in messages)
                {
                    var w = Weight(m);
                    output.Text(m.IsAssistant ? m.Content : m.Content + "\n", w);
                    if (m.IsAssistant)
                    {
                        output.Markup(Format.EosToken, w);
                    }
                }

                break;
        }

        output.Finish();
        return (output.Ids, output.Weights);
    }

    /// <summary>The prompt for generation: the conversation so far and the opening of the assistant's turn.</summary>
    public List<int> RenderPrompt(IReadOnlyList<ChatMessage> messages)
    {
        if (Format.Family is ChatFamily.Llama2 or ChatFamily.Mistral)
        {
            var inst = new Output(this);
            RenderInst(messages, inst, addGenerationPrompt: true);
            return inst.Finish().Ids;
        }

        var (ids, _) = Render(messages);
        var opening = Format.Family switch
        {
            ChatFamily.Llama3 => "<|start_header_id|>assistant<|end_header_id|>\n\n",
            ChatFamily.ChatMl => "<|im_start|>assistant\n",
            _ => null,
        };
        if (opening is not null)
        {
            ids.AddRange(_tokenizer.EncodeMarkup(opening));
        }

        return ids;
    }

    /// <summary>
    /// [INST] formats (as Meta's and Mistral's templates write them): BOS before each user turn for Llama 2,
    /// once for Mistral; the system text goes into the first user turn, inside &lt;&lt;SYS&gt;&gt; for Llama 2 and
    /// before the user text (blank line between) for Mistral. Llama 2 replies are " text " then EOS; Mistral's "text" then EOS.
    /// </summary>
    private void RenderInst(IReadOnlyList<ChatMessage> messages, Output output, bool addGenerationPrompt)
    {
        var llama2 = Format.Family == ChatFamily.Llama2;
        string? system = null;
        var first = true;
        if (!llama2)
        {
            output.Markup(Format.BosToken, 0);
        }

        foreach (var m in messages)
        {
            switch (m.Role)
            {
                case "system":
                    system = system is null ? m.Content : system + "\n\n" + m.Content;
                    break;
                case "user":
                    if (llama2)
                    {
                        output.Markup(Format.BosToken, 0);
                    }

                    output.Markup("[INST] ", 0);
                    if (first && system is not null)
                    {
                        output.Text(llama2 ? $"<<SYS>>\n{system.Trim()}\n<</SYS>>\n\n" : system.Trim() + "\n\n", 0);
                    }

                    output.Text(m.Content.Trim(), 0);
                    output.Markup(" [/INST]", 0);
                    first = false;
                    break;
                default:
                    var w = Weight(m);
                    output.Text(llama2 ? $" {m.Content.Trim()} " : m.Content.Trim(), w);
                    output.Markup(Format.EosToken, w);
                    break;
            }
        }

        _ = addGenerationPrompt; // the prompt ends with " [/INST]": the reply follows directly
    }

    private static float Weight(ChatMessage m) => m.IsAssistant ? (float)m.Weight : 0f;

    private List<(string? Text, int? Id)> Split(string markup)
    {
        if (!_markupCache.TryGetValue(markup, out var parts))
        {
            parts = _tokenizer.SplitMarkup(markup);
            _markupCache[markup] = parts;
        }

        return parts;
    }

    /// <summary>
    /// Collects text with weights; added tokens go in by id. Byte-level BPE encodes each piece on its own
    /// (no piece boundary changes its tokens); SentencePiece encodes each run of text between added tokens
    /// at once, as transformers tokenizes a rendered template, so its dummy "▁" prefix appears once per run
    /// instead of once per piece, and each token takes the weight of the piece its first character is in.
    /// </summary>
    private sealed class Output(ChatRenderer renderer)
    {
        private readonly List<(string Text, float Weight)> _run = [];

        public List<int> Ids { get; } = [];

        public List<float> Weights { get; } = [];

        public void Markup(string? markup, float weight)
        {
            if (string.IsNullOrEmpty(markup))
            {
                return;
            }

            foreach (var (text, id) in renderer.Split(markup))
            {
                if (id is { } special)
                {
                    Flush();
                    Add([special], weight);
                }
                else
                {
                    _run.Add((text!, weight));
                }
            }
        }

        public void Text(string text, float weight)
        {
            if (text.Length > 0)
            {
                _run.Add((text, weight));
            }
        }

        public Output Finish()
        {
            Flush();
            return this;
        }

        private void Flush()
        {
            if (_run.Count == 0)
            {
                return;
            }

            var tokenizer = renderer._tokenizer;
            if (!tokenizer.IsSentencePiece)
            {
                foreach (var (text, weight) in _run)
                {
                    Add(tokenizer.Encode(text), weight);
                }
            }
            else
            {
                var whole = string.Concat(_run.Select(r => r.Text));
                var ends = new List<int>();
                var position = 0;
                foreach (var (text, _) in _run)
                {
                    position += text.Length;
                    ends.Add(position);
                }

                foreach (var (id, start) in tokenizer.EncodeWithStarts(whole))
                {
                    var piece = ends.FindIndex(end => start < end);
                    Ids.Add(id);
                    Weights.Add(_run[piece < 0 ? _run.Count - 1 : piece].Weight);
                }
            }

            _run.Clear();
        }

        private void Add(IReadOnlyList<int> ids, float weight)
        {
            Ids.AddRange(ids);
            for (var i = 0; i < ids.Count; i++)
            {
                Weights.Add(weight);
            }
        }
    }
}
