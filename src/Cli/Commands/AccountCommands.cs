using System.CommandLine;
using LoraPipeline.Cli.Api;
using LoraPipeline.Cli.Config;
using LoraPipeline.Cli.Rendering;

namespace LoraPipeline.Cli.Commands;

/// <summary>lora login, lora logout, lora whoami.</summary>
public static class AccountCommands
{
    public static IEnumerable<Command> Build() => [Login(), Logout(), WhoAmI()];

    private static Command Login()
    {
        var url = new Option<string?>("--url") { Description = $"The server, e.g. http://127.0.0.1:5080 (default: {CliConfig.UrlVariable}, else the one stored)" };
        var fromStdin = new Option<bool>("--api-key-stdin") { Description = "Read the key from stdin (for scripts) instead of asking for it with hidden input" };
        var command = new Command("login", Help.Text(
            "Check an API key against the server (GET /api/me) and store the URL and key in the config file (mode 0600).",
            "lora login --url http://127.0.0.1:5080",
            "echo \"$KEY\" | lora login --url http://127.0.0.1:5080 --api-key-stdin"))
        {
            url, fromStdin,
        };
        command.SetHandler(async (parse, session, ct) =>
        {
            var terminal = session.Terminal;
            var server = parse.GetValue(url) ?? Environment.GetEnvironmentVariable(CliConfig.UrlVariable) ?? CliConfig.Load()?.Url
                ?? throw new CliException("Say which server to sign in to: lora login --url http://127.0.0.1:5080", ExitCodes.Usage);
            var baseUrl = Session.ParseUrl(server);
            string key;
            if (parse.GetValue(fromStdin))
            {
                key = (await Console.In.ReadToEndAsync(ct)).Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            }
            else if (!Console.IsInputRedirected)
            {
                terminal.Note($"Paste your API key for {baseUrl} (input is hidden; ./run.sh users create NAME prints one).");
                key = terminal.Secret("API key:").Trim();
            }
            else
            {
                throw new CliException("stdin is not a terminal, so the key cannot be asked for: pipe it in with --api-key-stdin (echo \"$KEY\" | lora login --url URL --api-key-stdin).", ExitCodes.Usage);
            }

            if (key.Length == 0)
            {
                throw new CliException("No API key was given; nothing was stored.", ExitCodes.Usage);
            }

            using var api = new LoraApiClient(baseUrl, key);
            ApiData<Me> me;
            try
            {
                me = await api.MeAsync(ct);
            }
            catch (ApiException e) when (e.Status == 401)
            {
                throw new CliException($"The server at {baseUrl} refused this API key ({e.Problem.Error}); nothing was stored. Check the key: ./run.sh users create NAME or ./run.sh keys create NAME prints a new one.");
            }

            var login = new StoredLogin(baseUrl.ToString().TrimEnd('/'), key);
            CliConfig.Save(login);
            if (terminal.Json)
            {
                terminal.WriteJson(me.Raw);
            }

            terminal.Line($"Signed in to [bold]{Terminal.Esc(login.Url)}[/] as [bold]{Terminal.Esc(me.Value.Name)}[/] (user {me.Value.Id}).");
            terminal.Note($"Saved to {CliConfig.FilePath()} (readable by you only).");
            if (Environment.GetEnvironmentVariable(CliConfig.KeyVariable) is { Length: > 0 })
            {
                terminal.Note($"{CliConfig.KeyVariable} is set in this shell and still overrides the stored key.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Logout()
    {
        var command = new Command("logout", Help.Text("Remove the stored URL and key (the config file). The key itself stays valid on the server.", "lora logout"));
        command.SetHandler((_, session, _) =>
        {
            var path = CliConfig.FilePath();
            session.Terminal.Line(CliConfig.Delete() ? $"Signed out: removed {Terminal.Esc(path)}." : $"Not signed in: there is no {Terminal.Esc(path)}.");
            if (Environment.GetEnvironmentVariable(CliConfig.KeyVariable) is { Length: > 0 })
            {
                session.Terminal.Note($"{CliConfig.KeyVariable} is still set in this shell: commands keep using it.");
            }

            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private static Command WhoAmI()
    {
        var command = new Command("whoami", Help.Text("Show who the current key belongs to, on which server, and where URL and key come from.", "lora whoami"));
        command.SetHandler(async (_, session, ct) =>
        {
            var me = await session.Api.MeAsync(ct);
            var terminal = session.Terminal;
            if (terminal.Json)
            {
                terminal.WriteJson(me.Raw);
                return ExitCodes.Ok;
            }

            var c = session.Credentials;
            terminal.Line($"[bold]{Terminal.Esc(me.Value.Name)}[/] (user {me.Value.Id}) on {Terminal.Esc(c.Url)}");
            terminal.Plain($"key {CliConfig.Redact(c.ApiKey ?? "")} from {Source(c.KeySource)}; URL from {Source(c.UrlSource)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Source(CredentialSource source) => source switch
    {
        CredentialSource.Environment => "the environment",
        CredentialSource.ConfigFile => CliConfig.FilePath(),
        _ => "nowhere",
    };
}
