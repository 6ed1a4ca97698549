using System.Text.Json;

namespace LoraPipeline.Datasets.Validation;

/// <summary>Checks one message object of a <c>brightrun_lora_v4</c> line and counts its tokens.</summary>
internal static class MessageParser
{
    /// <summary>The reader is on the message's opening brace; it is left on the closing one.</summary>
    public static void Read(ref Utf8JsonReader reader, int index, LineIssues issues, JsonStringTokens tokens, ref ConversationTally conversation)
    {
        bool sawRole = false, sawContent = false, sawName = false, sawWeight = false;
        var role = ChatRole.None;
        var contentTokens = 0;
        var nameTokens = 0;
        var hasValidName = false;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("role"u8))
            {
                if (Keys.FirstOccurrence(ref reader, ref sawRole, "role", issues, index))
                {
                    role = ReadRole(ref reader, index, issues);
                }
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                if (Keys.FirstOccurrence(ref reader, ref sawContent, "content", issues, index))
                {
                    contentTokens = ReadContent(ref reader, index, issues, tokens);
                }
            }
            else if (reader.ValueTextEquals("name"u8))
            {
                if (Keys.FirstOccurrence(ref reader, ref sawName, "name", issues, index))
                {
                    hasValidName = ReadName(ref reader, index, issues, tokens, out nameTokens);
                }
            }
            else if (reader.ValueTextEquals("weight"u8))
            {
                if (Keys.FirstOccurrence(ref reader, ref sawWeight, "weight", issues, index))
                {
                    ReadWeight(ref reader, index, issues);
                }
            }
            else
            {
                var key = reader.GetString()!;
                reader.Skip();
                Keys.ReportUnknown(key, Suggestions.MessageKeys, issues, index);
            }
        }

        if (!sawRole)
        {
            issues.Add(ErrorCodes.MissingRole, $"messages[{index}] has no \"role\".",
                $"Add \"role\" with one of {Suggestions.List(Suggestions.Roles)}.");
        }

        if (!sawContent)
        {
            issues.Add(ErrorCodes.MissingContent, $"messages[{index}] has no \"content\".",
                "Add \"content\" with the message's text as a string.");
        }

        var messageTokens = ExampleTokens.PerMessage + tokens.RoleTokens(role) + contentTokens
            + (hasValidName ? nameTokens + ExampleTokens.PerName : 0);
        conversation.Add(role, messageTokens, contentTokens);
    }

    private static ChatRole ReadRole(ref Utf8JsonReader reader, int index, LineIssues issues)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            issues.Add(ErrorCodes.UnknownRole, $"messages[{index}].role is {JsonKinds.Describe(reader.TokenType)}, not a string.",
                $"Set \"role\" to one of {Suggestions.List(Suggestions.Roles)}.");
            reader.Skip();
            return ChatRole.None;
        }

        if (reader.ValueTextEquals("user"u8))
        {
            return ChatRole.User;
        }

        if (reader.ValueTextEquals("assistant"u8))
        {
            return ChatRole.Assistant;
        }

        if (reader.ValueTextEquals("system"u8))
        {
            return ChatRole.System;
        }

        var value = reader.GetString()!;
        issues.Add(ErrorCodes.UnknownRole, $"messages[{index}].role is \"{Suggestions.Shown(value)}\", which is not a known role.",
            Suggestions.UnknownRole(value));
        return ChatRole.None;
    }

    private static int ReadContent(ref Utf8JsonReader reader, int index, LineIssues issues, JsonStringTokens tokens)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            issues.Add(ErrorCodes.ContentNotString, $"messages[{index}].content is {JsonKinds.Describe(reader.TokenType)}, not a string.",
                reader.TokenType == JsonTokenType.StartArray
                    ? "Give the content as one string: join the text of the parts (images and other media are not supported)."
                    : "Give the content as a string: put numbers in quotes; null is not a text.");
            reader.Skip();
            return 0;
        }

        var count = tokens.Count(ref reader, out var isBlank);
        if (isBlank)
        {
            issues.Add(ErrorCodes.EmptyContent, $"messages[{index}].content is empty or only white space.",
                "Write the message's text, or remove the message.");
        }

        return count;
    }

    private static bool ReadName(ref Utf8JsonReader reader, int index, LineIssues issues, JsonStringTokens tokens, out int nameTokens)
    {
        nameTokens = 0;
        if (reader.TokenType != JsonTokenType.String)
        {
            issues.Add(ErrorCodes.InvalidName, $"messages[{index}].name is {JsonKinds.Describe(reader.TokenType)}, not a string.",
                "Give \"name\" as a string (the speaker's name, such as \"example_user\"), or leave it out.");
            reader.Skip();
            return false;
        }

        nameTokens = tokens.Count(ref reader, out _);
        return true;
    }

    private static void ReadWeight(ref Utf8JsonReader reader, int index, LineIssues issues)
    {
        const string Suggestion = "Set \"weight\" to a number from 0 to 1 (0 = do not learn from this message, 1 = learn from it), or leave it out.";
        if (reader.TokenType != JsonTokenType.Number)
        {
            issues.Add(ErrorCodes.InvalidWeight, $"messages[{index}].weight is {JsonKinds.Describe(reader.TokenType)}, not a number.", Suggestion);
            reader.Skip();
            return;
        }

        if (!reader.TryGetDouble(out var weight) || weight is < 0 or > 1 || double.IsNaN(weight))
        {
            issues.Add(ErrorCodes.InvalidWeight,
                $"messages[{index}].weight is {System.Text.Encoding.UTF8.GetString(reader.ValueSpan)}, outside 0..1.", Suggestion);
        }
    }
}
