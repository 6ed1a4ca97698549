using System.CommandLine;
using LoraPipeline.Cli.Api;
using LoraPipeline.Cli.Config;
using LoraPipeline.Cli.Rendering;

namespace LoraPipeline.Cli.Commands;

/// <summary>Options every command takes.</summary>
public static class GlobalOptions
{
    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the API's data exactly as it came, as one JSON document (for follow: one JSON line per event), and nothing else on stdout",
        Recursive = true,
    };
}

/// <summary>What one invocation works with: the terminal, and the API client made from the stored login or the environment.</summary>
public sealed class Session : IDisposable
{
    private LoraApiClient? _api;

    public Session(Terminal terminal)
    {
        Terminal = terminal;
        Credentials = CliConfig.Resolve();
    }

    public Terminal Terminal { get; }

    public Credentials Credentials { get; }

    /// <summary>The client for the signed-in server; a sentence saying how to sign in when there is none.</summary>
    public LoraApiClient Api => _api ??= Connect(Credentials.Url, Credentials.ApiKey, requireKey: true);

    public static LoraApiClient Connect(string? url, string? key, bool requireKey)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new CliException($"Not signed in: run lora login --url URL (for example http://127.0.0.1:5080), or set {CliConfig.UrlVariable} and {CliConfig.KeyVariable}.");
        }

        if (requireKey && string.IsNullOrWhiteSpace(key))
        {
            throw new CliException($"No API key: run lora login --url {url}, or set {CliConfig.KeyVariable}.");
        }

        return new LoraApiClient(ParseUrl(url), key);
    }

    public static Uri ParseUrl(string url)
    {
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new CliException($"'{url}' is not a server URL: give one such as http://127.0.0.1:5080.", ExitCodes.Usage);
        }

        // the API's paths are absolute ("/api/..."): a base with a path would be dropped anyway, so say so by keeping only the origin
        return new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
    }

    public void Dispose() => _api?.Dispose();
}

/// <summary>
/// Runs a command's work and turns every failure into a message and an exit code: the problem
/// document's error and details (what to change), a sentence for a network failure, 130 for Ctrl+C.
/// </summary>
public static class CommandRuntime
{
    public static void SetHandler(this Command command, Func<ParseResult, Session, CancellationToken, Task<int>> run) =>
        command.SetAction((parse, ct) => RunAsync(parse, ct, run));

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken ct, Func<ParseResult, Session, CancellationToken, Task<int>> run)
    {
        var terminal = new Terminal(parse.GetValue(GlobalOptions.Json));
        try
        {
            using var session = new Session(terminal);
            return await run(parse, session, ct);
        }
        catch (ApiException e)
        {
            terminal.Error(Explain(e));
            return ExitCodes.Failed;
        }
        catch (CliException e)
        {
            terminal.Error(e.Message);
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            terminal.Error("Interrupted.");
            return ExitCodes.Interrupted;
        }
    }

    /// <summary>The problem document, then what to change where the status alone says it.</summary>
    public static string Explain(ApiException e)
    {
        var problem = e.Problem.Describe();
        var credentials = CliConfig.Resolve();
        return e.Status switch
        {
            401 => problem + "\n" + (credentials.KeySource == CredentialSource.Environment
                ? $"The key comes from {CliConfig.KeyVariable}: set it to a valid key, or unset it to use the one lora login stored."
                : $"Sign in again with a valid key: lora login --url {credentials.Url ?? "URL"}"),
            404 when IsMissingRoute(e) => problem + $"\nThe server at {credentials.Url} has no {e.Method} {PathOf(e.Path)}: it is older than this client, or not a LoraPipeline server.",
            405 or 501 => problem + $"\nThe server at {credentials.Url} does not offer {e.Method} {PathOf(e.Path)}: it is older than this client.",
            >= 500 => problem + "\nThe server failed to answer this request; try again, and if it keeps failing, look at the server's log.",
            _ => problem,
        };
    }

    /// <summary>A 404 for an unknown route (no problem document of ours, or ASP.NET Core's own "Not Found") rather than for a missing resource.</summary>
    private static bool IsMissingRoute(ApiException e) => !e.Problem.NamesMissingResource;

    private static string PathOf(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.AbsolutePath : url;
}
