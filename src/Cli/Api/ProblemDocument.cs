using System.Net;
using System.Text;
using System.Text.Json;

namespace LoraPipeline.Cli.Api;

/// <summary>
/// An RFC 9457 problem document as LoraPipeline answers it: <c>title</c>/<c>detail</c> plus our own
/// <c>error</c> (a short message) and <c>details</c> (what to change: a sentence, field errors by
/// path, or a small object such as <c>{ "status": "completed" }</c>).
/// </summary>
public sealed record ProblemDocument(int Status, string Error, string? Detail, IReadOnlyDictionary<string, string[]> FieldErrors, JsonElement? Raw)
{
    /// <summary>Reads a problem from an error body; anything else (an HTML page from a proxy, nothing) still gives a sentence.</summary>
    public static ProblemDocument Parse(HttpStatusCode status, string? body)
    {
        var code = (int)status;
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                var root = document.RootElement.Clone();
                if (root.ValueKind == JsonValueKind.Object)
                {
                    var error = Text(root, "error") ?? Text(root, "title") ?? Reason(status);
                    var detail = Text(root, "detail");
                    var fields = new Dictionary<string, string[]>(StringComparer.Ordinal);
                    if (root.TryGetProperty("details", out var details))
                    {
                        if (details.ValueKind == JsonValueKind.String)
                        {
                            detail ??= details.GetString();
                        }
                        else if (details.ValueKind == JsonValueKind.Object)
                        {
                            // field errors are arrays of messages by path; other members (a 409's { "status": … }) are data, left in Raw
                            foreach (var field in details.EnumerateObject().Where(f => f.Value.ValueKind == JsonValueKind.Array))
                            {
                                fields[field.Name] = field.Value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText()).ToArray();
                            }
                        }
                    }

                    return new ProblemDocument(code, error, detail, fields, root);
                }
            }
            catch (JsonException)
            {
                // not JSON: fall through to the status line and the start of the body
            }
        }

        var snippet = string.IsNullOrWhiteSpace(body) ? null : body.Trim().ReplaceLineEndings(" ");
        if (snippet is { Length: > 200 })
        {
            snippet = snippet[..200] + "…";
        }

        return new ProblemDocument(code, Reason(status), snippet, new Dictionary<string, string[]>(), null);
    }

    /// <summary>
    /// Our own 404s name what is missing ("Job not found", "Dataset not found"); a route the server
    /// does not have answers ASP.NET Core's plain "Not Found". Only the first is an answer about the id.
    /// </summary>
    public bool NamesMissingResource => Status == 404 && Error.EndsWith(" not found", StringComparison.OrdinalIgnoreCase);

    /// <summary>"error: detail" and one line per field error; the detail is left out when it only repeats the field errors.</summary>
    public string Describe()
    {
        var text = new StringBuilder(Error);
        var fieldSummary = string.Join("; ", FieldErrors.Select(f => $"{f.Key} {string.Join(", ", f.Value)}"));
        if (!string.IsNullOrWhiteSpace(Detail) && Detail != Error && Detail != fieldSummary)
        {
            text.Append(": ").Append(Detail);
        }

        foreach (var (field, messages) in FieldErrors)
        {
            foreach (var message in messages)
            {
                text.Append('\n').Append("  ").Append(field).Append(": ").Append(message);
            }
        }

        return text.ToString();
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Reason(HttpStatusCode status) => $"HTTP {(int)status} {ReasonPhrase(status)}".TrimEnd();

    private static string ReasonPhrase(HttpStatusCode status) =>
        Enum.IsDefined(status) ? System.Text.RegularExpressions.Regex.Replace(status.ToString(), "(?<=[a-z])(?=[A-Z])", " ") : "";
}

/// <summary>The server answered with an error status; carries its problem document.</summary>
public sealed class ApiException(string method, string path, ProblemDocument problem)
    : Exception($"{method} {path}: {problem.Describe()}")
{
    public string Method { get; } = method;
    public string Path { get; } = path;
    public ProblemDocument Problem { get; } = problem;
    public int Status => Problem.Status;
}
