using System.Text.Json;

namespace LoraPipeline.Datasets.Validation;

internal static class JsonKinds
{
    /// <summary>The value the reader is on, as a phrase for messages ("an array", "null", ...).</summary>
    public static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
