namespace LoraPipeline.OpenAi.Errors;

/// <summary>
/// A refusal in OpenAI's words: <c>{"error": {"message", "type", "param", "code"}}</c>. Thrown by the /v1
/// endpoints; <see cref="OpenAiErrorWriter"/> writes it (and every other problem of a /v1 request) in that shape.
/// </summary>
public sealed class OpenAiException(int status, string message, string? param = null, string? code = null, string type = OpenAiError.InvalidRequest)
    : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    public string Type { get; } = type;

    public static OpenAiException BadRequest(string message, string? param = null, string? code = null) => new(400, message, param, code);

    public static OpenAiException NotFound(string what, string id, string? param = null) =>
        new(404, $"No such {what}: '{id}'.", param, "not_found");
}

/// <summary>The body of an OpenAI error, and its <c>type</c> values.</summary>
public sealed record OpenAiError(string Message, string Type, string? Param, string? Code)
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Authentication = "authentication_error";
    public const string Server = "server_error";
}
