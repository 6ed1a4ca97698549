namespace LoraPipeline.Platform.Http;

/// <summary>Every success body on the wire: <c>{ "success": true, "data": ... }</c>.</summary>
public sealed record ApiResponse<T>(T Data)
{
    [System.Text.Json.Serialization.JsonPropertyOrder(-1)]
    public bool Success => true;
}

/// <summary>Short-hands for endpoints, so every success answer has the same envelope.</summary>
public static class Api
{
    public static ApiResponse<T> Ok<T>(T data) => new(data);

    public static IResult Created<T>(string location, T data) => Results.Created(location, new ApiResponse<T>(data));

    public static IResult Accepted<T>(T data) => Results.Json(new ApiResponse<T>(data), statusCode: StatusCodes.Status202Accepted);
}

/// <summary>A page of results with the spec's pagination block.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, Pagination Pagination);

public sealed record Pagination(int Page, int Limit, long Total, int TotalPages)
{
    public static Pagination Of(int page, int limit, long total) =>
        new(page, limit, total, limit == 0 ? 0 : (int)((total + limit - 1) / limit));
}
