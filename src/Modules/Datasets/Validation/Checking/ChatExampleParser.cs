using System.Text.Json;

namespace LoraPipeline.Datasets.Validation;

/// <summary>
/// Checks one <c>brightrun_lora_v4</c> line (<c>{"messages": [...], "split"?}</c>) in a single pass over its
/// tokens, counting tokens as it goes, and reports every problem it finds rather than only the first.
/// </summary>
internal static class ChatExampleParser
{
    /// <summary>The reader is on the line's opening brace. Returns the figures when the line has no error.</summary>
    public static ExampleFigures? Parse(ref Utf8JsonReader reader, LineIssues issues, JsonStringTokens tokens)
    {
        var conversation = new ConversationTally();
        var sawMessages = false;
        var sawSplit = false;
        var split = ExampleSplit.Unspecified;
        List<string>? promptCompletionKeys = null; // v3 keys; how to report them depends on whether "messages" is present

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("messages"u8))
            {
                if (Keys.FirstOccurrence(ref reader, ref sawMessages, "messages", issues))
                {
                    ReadMessages(ref reader, issues, tokens, ref conversation);
                }
            }
            else if (reader.ValueTextEquals("split"u8))
            {
                if (Keys.FirstOccurrence(ref reader, ref sawSplit, "split", issues))
                {
                    split = Keys.ReadSplit(ref reader, issues);
                }
            }
            else
            {
                var key = reader.GetString()!;
                reader.Skip();
                if (key is "prompt" or "completion")
                {
                    (promptCompletionKeys ??= []).Add(key);
                }
                else
                {
                    Keys.ReportUnknown(key, Suggestions.ChatTopLevelKeys, issues);
                }
            }
        }

        ReportMissingMessages(sawMessages, promptCompletionKeys, issues);
        // A message whose role is missing or wrong may be the assistant's: its own error says enough then.
        if (conversation.Messages > 0 && !conversation.HasAssistant && !conversation.HasUnresolvedRole)
        {
            issues.Add(ErrorCodes.NoAssistantMessage, "The example has no assistant message, so there is nothing to learn from it.",
                "Add the reply the model should learn as a message with \"role\": \"assistant\", normally the last one.");
        }

        if (issues.Any || !sawMessages)
        {
            return null;
        }

        return new ExampleFigures(
            Messages: conversation.Messages,
            Tokens: conversation.Tokens + ExampleTokens.ReplyPriming,
            AssistantTokens: conversation.AssistantTokens,
            HasSystem: conversation.HasSystem,
            HasUser: conversation.HasUser,
            Split: split);
    }

    private static void ReportMissingMessages(bool sawMessages, List<string>? promptCompletionKeys, LineIssues issues)
    {
        if (!sawMessages)
        {
            issues.Add(ErrorCodes.MissingMessages, "The example has no \"messages\" key.",
                promptCompletionKeys is null
                    ? "Give each line a \"messages\" array, for example {\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello!\"}]}."
                    : "This line is a {prompt, completion} pair: choose the format brightrun_lora_v3 for such a file, or convert each pair to \"messages\" with a user and an assistant message.");
            return;
        }

        foreach (var key in promptCompletionKeys ?? [])
        {
            issues.Add(ErrorCodes.UnknownKey, $"Unknown key \"{key}\" at the top level.",
                $"\"{key}\" belongs to the format brightrun_lora_v3; in brightrun_lora_v4 the conversation lives in \"messages\" only. Remove \"{key}\" or move its text into a message.");
        }
    }

    private static void ReadMessages(ref Utf8JsonReader reader, LineIssues issues, JsonStringTokens tokens, ref ConversationTally conversation)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            issues.Add(ErrorCodes.MessagesNotArray, $"\"messages\" is {JsonKinds.Describe(reader.TokenType)}, not an array.",
                "Make \"messages\" an array of message objects: [{\"role\": \"user\", \"content\": \"...\"}, {\"role\": \"assistant\", \"content\": \"...\"}].");
            reader.Skip();
            return;
        }

        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                MessageParser.Read(ref reader, index, issues, tokens, ref conversation);
            }
            else
            {
                issues.Add(ErrorCodes.MessageNotObject, $"messages[{index}] is {JsonKinds.Describe(reader.TokenType)}, not an object.",
                    "Each message must be an object such as {\"role\": \"user\", \"content\": \"...\"}.");
                reader.Skip();
            }

            index++;
        }

        if (index == 0)
        {
            issues.Add(ErrorCodes.EmptyMessages, "\"messages\" is empty.",
                "Give at least one user message and the assistant's reply, or remove the line.");
        }
    }
}
