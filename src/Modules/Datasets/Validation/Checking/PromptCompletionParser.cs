using System.Text.Json;

namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// Checks one <c>brightrun_lora_v3</c> line (<c>{"prompt", "completion", "split"?}</c>). For the statistics the
/// prompt is a user message and the completion an assistant message.
/// </summary>
internal static class PromptCompletionParser
{
    /// <summary>The reader is on the line's opening brace. Returns the figures when the line has no error.</summary>
    public static ExampleFigures? Parse(ref Utf8JsonReader reader, LineIssues issues, JsonStringTokens tokens)
    {
        bool sawPrompt = false, sawCompletion = false, sawSplit = false, sawMessages = false;
        var promptTokens = 0;
        var completionTokens = 0;
        var split = ExampleSplit.Unspecified;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt"u8))
            {
                if (Keys.FirstOccurrence(ref reader, ref sawPrompt, "prompt", issues))
                {
                    promptTokens = ReadText(ref reader, "prompt", issues, tokens);
                }
            }
            else if (reader.ValueTextEquals("completion"u8))
            {
                if (Keys.FirstOccurrence(ref reader, ref sawCompletion, "completion", issues))
                {
                    completionTokens = ReadText(ref reader, "completion", issues, tokens);
                }
            }
            else if (reader.ValueTextEquals("split"u8))
            {
                if (Keys.FirstOccurrence(ref reader, ref sawSplit, "split", issues))
                {
                    split = Keys.ReadSplit(ref reader, issues);
                }
            }
            else if (reader.ValueTextEquals("messages"u8))
            {
                sawMessages = true; // reported below, once, as the format mix-up it is
                reader.Skip();
            }
            else
            {
                var key = reader.GetString()!;
                reader.Skip();
                Keys.ReportUnknown(key, Suggestions.PromptCompletionKeys, issues);
            }
        }

        ReportMissingParts(sawPrompt, sawCompletion, sawMessages, issues);
        if (issues.Any)
        {
            return null;
        }

        var userTokens = ExampleTokens.PerMessage + tokens.RoleTokens(ChatRole.User) + promptTokens;
        var assistantTokens = ExampleTokens.PerMessage + tokens.RoleTokens(ChatRole.Assistant) + completionTokens;
        return new ExampleFigures(
            Messages: 2,
            Tokens: userTokens + assistantTokens + ExampleTokens.ReplyPriming,
            AssistantTokens: completionTokens,
            HasSystem: false,
            HasUser: true,
            Split: split);
    }

    private static void ReportMissingParts(bool sawPrompt, bool sawCompletion, bool sawMessages, LineIssues issues)
    {
        if (sawMessages && !sawPrompt && !sawCompletion)
        {
            issues.Add(ErrorCodes.MissingPrompt, "The example has \"messages\" instead of \"prompt\" and \"completion\".",
                "This line is a chat conversation: choose the format brightrun_lora_v4 for such a file, or write each example as {\"prompt\": \"...\", \"completion\": \"...\"}.");
            return;
        }

        if (sawMessages)
        {
            Keys.ReportUnknown("messages", Suggestions.PromptCompletionKeys, issues);
        }

        if (!sawPrompt)
        {
            issues.Add(ErrorCodes.MissingPrompt, "The example has no \"prompt\".",
                "Add \"prompt\" with the input text, as in {\"prompt\": \"...\", \"completion\": \"...\"}.");
        }

        if (!sawCompletion)
        {
            issues.Add(ErrorCodes.MissingCompletion, "The example has no \"completion\".",
                "Add \"completion\" with the answer the model should learn to give.");
        }
    }

    private static int ReadText(ref Utf8JsonReader reader, string key, LineIssues issues, JsonStringTokens tokens)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            issues.Add(ErrorCodes.ContentNotString, $"\"{key}\" is {JsonKinds.Describe(reader.TokenType)}, not a string.",
                $"Give \"{key}\" as a string.");
            reader.Skip();
            return 0;
        }

        var count = tokens.Count(ref reader, out var isBlank);
        if (isBlank)
        {
            issues.Add(ErrorCodes.EmptyContent, $"\"{key}\" is empty or only white space.",
                $"Write the {key}'s text, or remove the line.");
        }

        return count;
    }
}
