namespace LoraPipeline.OpenAi;

/// <summary>
/// OpenAI's cursor page: <c>{"object": "list", "data", "has_more", "first_id", "last_id"}</c>. The SDKs ask for the
/// next page with <c>after</c> = the last item's id while <c>has_more</c> is true.
/// </summary>
internal sealed record OpenAiList<T>(IReadOnlyList<T> Data, bool HasMore, string? FirstId, string? LastId)
{
    public string Object => "list";

    /// <summary>
    /// The page after the item with id <paramref name="after"/> (from the start when null) of at most
    /// <paramref name="limit"/> items; an <paramref name="after"/> that is not in the list gives an empty page.
    /// </summary>
    public static OpenAiList<T> Page(IReadOnlyList<T> all, Func<T, string> id, string? after, int limit)
    {
        var start = 0;
        if (after is not null)
        {
            var index = all.Select(id).ToList().IndexOf(after);
            start = index < 0 ? all.Count : index + 1;
        }

        var page = all.Skip(start).Take(limit).ToList();
        return new OpenAiList<T>(page, start + page.Count < all.Count, page.Count > 0 ? id(page[0]) : null, page.Count > 0 ? id(page[^1]) : null);
    }

    public static int Limit(int? limit, int max, int fallback) =>
        limit switch
        {
            null => fallback,
            < 1 => throw Errors.OpenAiException.BadRequest($"limit must be between 1 and {max}.", "limit", "invalid_limit"),
            _ when limit > max => throw Errors.OpenAiException.BadRequest($"limit must be between 1 and {max}.", "limit", "invalid_limit"),
            _ => limit.Value,
        };
}
