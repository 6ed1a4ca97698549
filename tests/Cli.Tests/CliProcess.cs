using System.Diagnostics;
using System.Reflection;
using System.Text;
using LoraPipeline.Testing;

namespace LoraPipeline.Cli.Tests;

/// <summary>What one run of the CLI did: its exit code and everything it wrote.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr, string[] Arguments)
{
    public IReadOnlyList<string> StdoutLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>For assertion messages: the whole run.</summary>
    public override string ToString() => $"lora {string.Join(' ', Arguments)} => exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// A user of the CLI: a home folder of their own (HOME and XDG_CONFIG_HOME point into it, so the
/// config file `lora login` writes is theirs alone), running <c>dotnet lora.dll …</c> as a child
/// process with stdin, stdout and stderr redirected, as a script would.
/// </summary>
public sealed class CliUser : IDisposable
{
    public CliUser(string name)
    {
        Home = Path.Combine(Path.GetTempPath(), "lora-cli-tests", $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)]);
        Directory.CreateDirectory(Home);
    }

    public string Home { get; }

    public string ConfigFolder => Path.Combine(Home, ".config", "lora");

    public string ConfigFile => Path.Combine(ConfigFolder, "config.json");

    /// <summary>Extra environment for every run (LORA_URL, LORA_API_KEY, …); null removes a variable.</summary>
    public Dictionary<string, string?> Environment { get; } = [];

    public Task<CliResult> RunAsync(params string[] arguments) => RunAsync(arguments, stdin: null);

    public async Task<CliResult> RunAsync(string[] arguments, string? stdin, TimeSpan? timeout = null, Action<Process>? started = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Home,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(LoraDll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var inherited in new[] { "LORA_URL", "LORA_API_KEY", "NO_COLOR", "TERM", "COLUMNS" })
        {
            start.Environment.Remove(inherited); // the machine's own settings must not leak into a test
        }

        start.Environment["HOME"] = Home;
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(Home, ".config");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in Environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        started?.Invoke(process);
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"lora {string.Join(' ', arguments)} did not end within {(timeout ?? TimeSpan.FromMinutes(2)).TotalSeconds:0} s.\n--- stdout\n{await output}\n--- stderr\n{await errors}");
        }

        return new CliResult(process.ExitCode, await output, await errors, arguments);
    }

    /// <summary>The CLI as built in this test project's configuration (Release under test.sh), else the other one.</summary>
    public static string LoraDll { get; } = FindLoraDll();

    private static string FindLoraDll()
    {
        var root = HostCommand.RepositoryRoot();
        var configuration = typeof(CliUser).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var candidates = new[] { configuration, "Release", "Debug" }.Distinct()
            .Select(c => Path.Combine(root, "src", "Cli", "bin", c, "net10.0", "lora.dll")).ToList();
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"The CLI is not built ({candidates[0]} is missing): dotnet build LoraPipeline.sln -c {configuration}.");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
            // a file still open by a process that is ending: the temp folder is cleaned by the system
        }
    }
}
