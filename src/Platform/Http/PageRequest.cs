namespace LoraPipeline.Platform.Http;

/// <summary>
/// page/limit query parameters, validated the same way on every list: page from 1, limit 1-100
/// (default 20). Out-of-range values are a 400, not silently clamped, so clients notice.
/// </summary>
public static class PageRequest
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public static (int Page, int Limit) Resolve(int? page, int? limit, FieldErrors errors)
    {
        var p = page ?? 1;
        var l = limit ?? DefaultLimit;
        errors.RequireRange("page", p, (1, 1_000_000));
        errors.RequireRange("limit", l, (1, MaxLimit));
        return (p, l);
    }
}
