using System.Text.Json;

namespace LoraPipeline.Platform.Http;

/// <summary>
/// Enum query values by their snake_case names only. Enum.TryParse, which binds them, also takes numbers
/// ("2", "99") and comma lists ("queued,running", OR-ed into some other value): those filtered by a
/// status nobody asked for.
/// </summary>
public static class QueryEnum
{
    public static void RequireName<TEnum>(this FieldErrors errors, HttpRequest request, string field)
        where TEnum : struct, Enum
    {
        var values = request.Query[field];
        if (values.Count == 0)
        {
            return;
        }

        var names = Enum.GetNames<TEnum>().Select(JsonNamingPolicy.SnakeCaseLower.ConvertName).ToList();
        if (values.Count > 1 || !names.Contains(values.ToString().Trim(), StringComparer.OrdinalIgnoreCase))
        {
            errors.Add(field, $"must be one of: {string.Join(", ", names)} (one value)");
        }
    }
}
