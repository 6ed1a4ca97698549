using System.Text.Json;
using System.Text.Json.Serialization;

namespace LoraPipeline.Platform.Http;

/// <summary>
/// The JSON of the API (snake_case, enums as snake_case strings, nulls written): the HTTP surface uses it, and so
/// does anything else that sends the API's resources (webhook payloads), so both show the same shapes.
/// </summary>
public static class ApiJson
{
    public static readonly JsonSerializerOptions Options = Create();

    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
    }

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(options);
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
