using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoraPipeline.OpenAi;

/// <summary>OpenAI's JSON: snake_case, nulls written (its objects list every field, null when unset).</summary>
internal static class OpenAiJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
