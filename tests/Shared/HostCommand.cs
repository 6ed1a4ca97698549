using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace LoraPipeline.Testing;

/// <summary>
/// How the test suites and benchmarks start the Host's own build output as a process of its own.
/// Linked into each project that needs it (not a project reference), so the browser tests need
/// not carry the Host's assemblies in their output.
/// </summary>
internal static class HostCommand
{
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LoraPipeline.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Run from the repository: no LoraPipeline.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>The Host built in the configuration this project was built in (Debug under an IDE, Release under test.sh), else the other.</summary>
    public static string HostDll(string root)
    {
        // this file is compiled into each project that links it: its assembly is that project's
        var configuration = typeof(HostCommand).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var candidates = new[] { configuration, "Release", "Debug" }
            .Distinct()
            .Select(c => Path.Combine(root, "src", "Host", "bin", c, "net10.0", "LoraPipeline.Host.dll"))
            .ToList();
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"The Host is not built ({candidates[0]} is missing): run dotnet build LoraPipeline.sln -c {configuration}.");
    }

    /// <summary><c>dotnet LoraPipeline.Host.dll arguments…</c> with the Host's folder as content root (appsettings, wwwroot) and its output captured.</summary>
    public static ProcessStartInfo StartInfo(string root, string hostDll, IEnumerable<KeyValuePair<string, string>> environment, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.Combine(root, "src", "Host"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(hostDll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return start;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
