using System.Diagnostics;
using LoraPipeline.TestKit;
using LoraPipeline.TestKit.Processes;
using Xunit.Abstractions;

namespace LoraPipeline.OpenAi.Tests;

/// <summary>
/// The official <c>openai</c> npm package, unchanged, run by Node against the Host as a process (its simulated
/// cluster at 150x): tests/OpenAi.Node/finetune.mjs uploads, creates, pages, filters, pauses, resumes, cancels,
/// waits for success and reads events and checkpoints, and checks the SDK's typed errors.
/// </summary>
public sealed class when_the_node_sdk_drives_the_platform(ITestOutputHelper output)
{
    [Fact]
    public async Task the_node_script_fine_tunes_a_model_and_every_check_passes()
    {
        var folder = Path.Combine(HostProcess.RepositoryRoot(), "tests", "OpenAi.Node");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "openai")))
        {
            Assert.Equal(0, (await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], folder, new Dictionary<string, string>())).ExitCode);
        }

        await using var host = await HostProcess.StartAsync(await TestDatabase.ConnectionStringAsync(), new Dictionary<string, string>
        {
            ["GpuCluster:PollInterval"] = "00:00:00.500",
            ["GpuCluster:UseCallbacks"] = "false",
            ["Simulator:TimeScale"] = "150",
            ["Messaging:ScheduledPollingInterval"] = "00:00:00.100",
        });
        var environment = new Dictionary<string, string>
        {
            ["OPENAI_BASE_URL"] = host.Url + "/v1",
            ["OPENAI_API_KEY"] = await host.CreateUserAsync("node-" + Guid.NewGuid().ToString("N")[..6]),
            ["OPENAI_OTHER_KEY"] = await host.CreateUserAsync("stranger-" + Guid.NewGuid().ToString("N")[..6]),
        };

        var (exitCode, text) = await RunAsync("node", ["finetune.mjs"], folder, environment);

        output.WriteLine(text);
        Assert.True(exitCode == 0, text + string.Join('\n', host.ErrorLog));
        Assert.Contains(" 0 failed", text);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string command, string[] arguments, string folder, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(command) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
