using System.Text.Json;
using LoraPipeline.Trainer.Checkpoints;

namespace LoraPipeline.Trainer.Data;

/// <summary>The chat markup families the trainer renders (no Jinja engine: each is written out in C#).</summary>
public enum ChatFamily
{
    /// <summary>Llama 3: <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\ncontent&lt;|eot_id|&gt;</c>.</summary>
    Llama3,

    /// <summary>ChatML: <c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c>.</summary>
    ChatMl,

    /// <summary>Llama 2 chat: <c>&lt;s&gt;[INST] &lt;&lt;SYS&gt;&gt;\nsystem\n&lt;&lt;/SYS&gt;&gt;\n\nuser [/INST] answer &lt;/s&gt;</c>.</summary>
    Llama2,

    /// <summary>Mistral instruct: <c>&lt;s&gt;[INST] user [/INST]answer&lt;/s&gt;</c>, the system text before the first user text.</summary>
    Mistral,

    /// <summary>No markup: BOS, the texts one after another, EOS after each reply.</summary>
    Raw,
}

/// <summary>
/// A chat family plus the BOS/EOS strings of the tokenizer, detected from <c>tokenizer_config.json</c>'s
/// <c>chat_template</c> (or overridden with --chat-format).
/// </summary>
public sealed record ChatFormat(ChatFamily Family, string? BosToken, string? EosToken, string Reason)
{
    public static string Names => "llama3, chatml, llama2, mistral, raw";

    public static ChatFamily ParseFamily(string name) => name.ToLowerInvariant() switch
    {
        "llama3" or "llama-3" => ChatFamily.Llama3,
        "chatml" => ChatFamily.ChatMl,
        "llama2" or "llama-2" => ChatFamily.Llama2,
        "mistral" => ChatFamily.Mistral,
        "raw" or "none" => ChatFamily.Raw,
        _ => throw new TrainerInputException($"chat format {name} is unknown ({Names})"),
    };

    public static string Name(ChatFamily family) => family switch
    {
        ChatFamily.Llama3 => "llama3",
        ChatFamily.ChatMl => "chatml",
        ChatFamily.Llama2 => "llama2",
        ChatFamily.Mistral => "mistral",
        _ => "raw",
    };

    /// <summary>
    /// The rule: a template that writes <c>&lt;|start_header_id|&gt;</c> is Llama 3; <c>&lt;|im_start|&gt;</c> is ChatML;
    /// <c>[INST]</c> with <c>&lt;&lt;SYS&gt;&gt;</c> is Llama 2, without it Mistral. No template: the same test on the
    /// tokenizer's added tokens; otherwise an error asking for --chat-format.
    /// </summary>
    public static ChatFormat Detect(string directory, TextTokenizer tokenizer, string? overrideName)
    {
        var configPath = Path.Combine(directory, "tokenizer_config.json");
        string? template = null;
        string? bos = null;
        string? eos = null;
        if (File.Exists(configPath))
        {
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllBytes(configPath));
                var root = document.RootElement;
                template = Template(root);
                bos = TokenText(root, "bos_token");
                eos = TokenText(root, "eos_token");
            }
            catch (JsonException e)
            {
                throw new TrainerInputException($"{configPath}: not valid JSON ({e.Message})", e);
            }
        }

        if (overrideName is not null)
        {
            var family = ParseFamily(overrideName);
            return WithDefaults(family, bos, eos, "--chat-format");
        }

        if (template is not null)
        {
            var family = FromText(template);
            if (family is { } f)
            {
                return WithDefaults(f, bos, eos, "tokenizer_config.json chat_template");
            }

            throw new TrainerInputException($"{configPath}: chat_template is not one the trainer recognises (Llama 3 header tokens, ChatML <|im_start|>, [INST]); pass --chat-format ({Names})");
        }

        var byTokens = FromText(string.Join(" ", tokenizer.AddedTokens.Keys));
        if (byTokens is { } t)
        {
            return WithDefaults(t, bos, eos, "the tokenizer's added tokens (no chat_template)");
        }

        throw new TrainerInputException($"{configPath}: no chat_template to choose a chat format from; pass --chat-format ({Names})");
    }

    private static ChatFamily? FromText(string text)
    {
        if (text.Contains("<|start_header_id|>", StringComparison.Ordinal))
        {
            return ChatFamily.Llama3;
        }

        if (text.Contains("<|im_start|>", StringComparison.Ordinal))
        {
            return ChatFamily.ChatMl;
        }

        if (text.Contains("[INST]", StringComparison.Ordinal))
        {
            return text.Contains("<<SYS>>", StringComparison.Ordinal) ? ChatFamily.Llama2 : ChatFamily.Mistral;
        }

        return null;
    }

    private static ChatFormat WithDefaults(ChatFamily family, string? bos, string? eos, string reason) => family switch
    {
        ChatFamily.Llama3 => new(family, bos ?? "<|begin_of_text|>", eos ?? "<|eot_id|>", reason),
        ChatFamily.ChatMl => new(family, null, eos ?? "<|im_end|>", reason),
        ChatFamily.Llama2 or ChatFamily.Mistral => new(family, bos ?? "<s>", eos ?? "</s>", reason),
        _ => new(family, bos, eos, reason),
    };

    private static string? Template(JsonElement root)
    {
        if (!root.TryGetProperty("chat_template", out var template))
        {
            return null;
        }

        if (template.ValueKind == JsonValueKind.String)
        {
            return template.GetString();
        }

        // some tokenizers list named templates: [{"name": "default", "template": "..."}, ...]
        if (template.ValueKind == JsonValueKind.Array)
        {
            var all = template.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.Object).ToList();
            var chosen = all.FirstOrDefault(t => t.TryGetProperty("name", out var n) && n.GetString() == "default");
            var pick = chosen.ValueKind == JsonValueKind.Object ? chosen : all.FirstOrDefault();
            return pick.ValueKind == JsonValueKind.Object && pick.TryGetProperty("template", out var text) ? text.GetString() : null;
        }

        return null;
    }

    private static string? TokenText(JsonElement root, string key) =>
        root.TryGetProperty(key, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Object when value.TryGetProperty("content", out var c) => c.GetString(),
                _ => null,
            }
            : null;
}
