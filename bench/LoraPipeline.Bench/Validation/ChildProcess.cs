using System.Diagnostics;
using System.Reflection;

namespace LoraPipeline.Bench.Validation;

/// <summary>Re-launches the running benchmark executable for one measured pass.</summary>
internal static class ChildProcess
{
    public const string HiddenPassArgument = "--child-pass";

    /// <param name="ourArgs">The arguments <see cref="ValidationBenchmark.RunAsync"/> received.</param>
    /// <returns>The cold and the warm measurement.</returns>
    public static async Task<IReadOnlyList<ChildPass.Measurement>> MeasureAsync(string[] ourArgs, string pass, BenchmarkOptions options)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in LauncherArguments(ourArgs))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var argument in new[] { HiddenPassArgument, pass, "--file", options.File, "--workers", options.Workers.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        using var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the child process.");
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        var results = output.Split('\n')
            .Where(l => l.StartsWith(ChildPass.ResultPrefix, StringComparison.Ordinal))
            .Select(l => ChildPass.Parse(l.TrimEnd('\r')))
            .ToList();
        if (child.ExitCode != 0 || results.Count != 2)
        {
            throw new InvalidOperationException($"The {pass} pass failed (exit code {child.ExitCode}):\n{output}");
        }

        return results;
    }

    /// <summary>
    /// What must precede our own arguments to reach this benchmark again: the assembly when running under the
    /// dotnet host, and whatever verb the bench program's Main consumed before handing us the rest
    /// (our arguments are the tail of the command line).
    /// </summary>
    private static IEnumerable<string> LauncherArguments(string[] ourArgs)
    {
        var commandLine = Environment.GetCommandLineArgs();
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            yield return Assembly.GetEntryAssembly()!.Location;
        }

        for (var i = 1; i < commandLine.Length - ourArgs.Length; i++)
        {
            yield return commandLine[i];
        }
    }
}
