using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace LoraPipeline.Platform.Http;

/// <summary>
/// Makes every problem document, including the ones ASP.NET Core and Wolverine write themselves
/// (401, 404 from status code pages, 415, malformed JSON, a body field of the wrong type, unparsable
/// query values), carry <c>error</c> and <c>details</c>, in words a user of the API can act on.
/// </summary>
public static partial class ProblemDetailsConventions
{
    private static readonly ConcurrentDictionary<string, string> AcceptedByTypeName = new();

    public static void Apply(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Detail is { } detail && UnparsableQueryValue().Match(detail) is { Success: true } match)
        {
            // Wolverine names the .NET type it expected: say what the API accepts instead
            var accepted = AcceptedByTypeName.GetOrAdd(match.Groups["type"].Value, Accepted);
            problem.Detail = $"Query string parameter '{match.Groups["name"].Value}' has the value '{match.Groups["value"].Value}'; {accepted}.";
        }
        else if (problem.Detail is { } unknownText && UnknownJsonField().Match(unknownText) is { Success: true } unknown)
        {
            // a request type that refuses unknown fields (a misspelt one would be silently dropped): name what it takes
            var fields = FindType(unknown.Groups["type"].Value)?.GetProperties().Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name));
            problem.Title = "Malformed JSON";
            problem.Detail = $"Unknown field '{unknown.Groups["name"].Value}'" + (fields is null ? "." : $"; this request takes: {string.Join(", ", fields)}.");
        }
        else if (problem.Detail is { } json && UnconvertibleJsonValue().Match(json) is { Success: true } unconvertible)
        {
            // Wolverine's own 400 for a body field of the wrong JSON type names a .NET type, sometimes the whole request's
            var field = unconvertible.Groups["path"].Value.TrimStart('$').TrimStart('.');
            var accepted = ExpectedAt(unconvertible.Groups["type"].Value, field);
            problem.Title = "Malformed JSON";
            problem.Detail = field.Length == 0
                ? $"The body could not be read as this request: {accepted}."
                : $"The JSON field '{field}' has a value of the wrong type: {accepted}.";
        }

        foreach (var (camel, snake) in new[] { ("lineNumber", "line_number"), ("bytePositionInLine", "byte_position_in_line") })
        {
            if (problem.Extensions.Remove(camel, out var position))
            {
                problem.Extensions[snake] = position; // Wolverine's, for malformed JSON: snake_case like the rest of the API
            }
        }

        if (problem.Type?.StartsWith("https://httpstatuses.com/", StringComparison.Ordinal) == true)
        {
            problem.Type = null; // Wolverine's own, for malformed JSON: use the RFC's like every other problem
        }

        // ASP.NET Core's defaults give most statuses an RFC type, not these
        problem.Type ??= problem.Status switch
        {
            400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            402 => "https://tools.ietf.org/html/rfc9110#section-15.5.3",
            413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
            416 => "https://tools.ietf.org/html/rfc9110#section-15.5.17",
            429 => "https://tools.ietf.org/html/rfc6585#section-4",
            _ => null,
        };
        problem.Extensions.TryAdd("error", problem.Title ?? ReasonFor(problem.Status));
        problem.Extensions.TryAdd("details", problem.Detail ?? problem.Title ?? ReasonFor(problem.Status));
    }

    [GeneratedRegex("^Query string parameter '(?<name>[^']*)' has the value '(?<value>.*)' which cannot be parsed to the expected type (?<type>[\\w.`+]+)$", RegexOptions.Singleline)]
    private static partial Regex UnparsableQueryValue();

    [GeneratedRegex(@"^The JSON property '(?<name>[^']*)' could not be mapped to any \.NET member contained in type '(?<type>[^']+)'", RegexOptions.Singleline)]
    private static partial Regex UnknownJsonField();

    [GeneratedRegex(@"^The JSON value could not be converted to (?<type>\S+)\. Path: (?<path>\S+)", RegexOptions.Singleline)]
    private static partial Regex UnconvertibleJsonValue();

    /// <summary>What the field at a JSON path accepts, walking the properties from the type the message names.</summary>
    private static string ExpectedAt(string typeName, string path)
    {
        // the message names either the request (then the path leads to the field) or the field's own type
        var named = Type.GetType(typeName, throwOnError: false) ?? FindType(typeName);
        var type = named;
        foreach (var segment in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = segment.Split('[')[0];
            type = type is not null && IsObject(type)
                ? type.GetProperties().FirstOrDefault(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) == name)?.PropertyType
                : null;
            if (type is null)
            {
                type = named;
                break;
            }
        }

        return type is null ? "see the API reference for this field" : Describe(type);
    }

    private static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return "send a string";
        }

        if (type.IsEnum || type.IsPrimitive || type == typeof(decimal) || type == typeof(Guid) || type == typeof(DateTimeOffset)
            || type == typeof(DateTime) || type == typeof(DateOnly))
        {
            return Accepted(type.FullName!);
        }

        return typeof(System.Collections.IEnumerable).IsAssignableFrom(type) ? "send a list" : "send an object";
    }

    private static bool IsObject(Type type) =>
        Nullable.GetUnderlyingType(type) is null && type != typeof(string) && !type.IsPrimitive && !type.IsEnum
        && type != typeof(decimal) && type != typeof(Guid) && !typeof(System.Collections.IEnumerable).IsAssignableFrom(type)
        && type.Namespace?.StartsWith("LoraPipeline", StringComparison.Ordinal) == true;

    private static Type? FindType(string typeName) => AppDomain.CurrentDomain.GetAssemblies()
        .Select(assembly => assembly.GetType(typeName, throwOnError: false))
        .FirstOrDefault(type => type is not null);

    private static string Accepted(string typeName) => typeName switch
    {
        // Wolverine writes C# keywords for the built-in types, full names for the others
        "int" or "long" or "short" or "System.Int32" or "System.Int64" or "System.Int16" => "send a whole number",
        "decimal" or "double" or "float" or "System.Decimal" or "System.Double" or "System.Single" => "send a number",
        "bool" or "System.Boolean" => "send true or false",
        "Guid" or "System.Guid" => "send an id (a GUID)",
        "DateTime" or "DateTimeOffset" or "DateOnly" or "System.DateTime" or "System.DateTimeOffset" or "System.DateOnly" => "send a date (ISO 8601)",
        _ when FindEnum(typeName) is { } type => "use one of: " + string.Join(", ", Enum.GetNames(type).Select(JsonNamingPolicy.SnakeCaseLower.ConvertName)),
        _ => "send a valid value",
    };

    private static Type? FindEnum(string typeName) => FindType(typeName) is { IsEnum: true } type ? type : null;

    private static string ReasonFor(int? status) => status switch
    {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        405 => "Method not allowed",
        409 => "Conflict",
        413 => "Payload too large",
        415 => "Unsupported media type",
        _ => "Internal error",
    };
}
