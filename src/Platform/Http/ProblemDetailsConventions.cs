using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace LoraPipeline.Platform.Http;

/// <summary>
/// Makes every problem document, including the ones ASP.NET Core and Wolverine write themselves
/// (401, 404 from status code pages, 415, malformed JSON, unparsable query values), carry
/// <c>error</c> and <c>details</c>, in words a user of the API can act on.
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

        problem.Extensions.TryAdd("error", problem.Title ?? ReasonFor(problem.Status));
        problem.Extensions.TryAdd("details", problem.Detail ?? problem.Title ?? ReasonFor(problem.Status));
    }

    [GeneratedRegex("^Query string parameter '(?<name>[^']*)' has the value '(?<value>.*)' which cannot be parsed to the expected type (?<type>[\\w.`+]+)$", RegexOptions.Singleline)]
    private static partial Regex UnparsableQueryValue();

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

    private static Type? FindEnum(string typeName) => AppDomain.CurrentDomain.GetAssemblies()
        .Select(assembly => assembly.GetType(typeName, throwOnError: false))
        .FirstOrDefault(type => type is { IsEnum: true });

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
