using System.Diagnostics;
using System.Text.Json.Nodes;

namespace LoraPipeline.Cli.Tests;

/// <summary>Following a job survives a dropped connection (Last-Event-ID), a server without the stream (polling), and Ctrl+C stops only the following.</summary>
public sealed class when_the_live_stream_misbehaves
{
    [Fact]
    public async Task a_dropped_connection_is_reopened_with_the_last_event_id()
    {
        await using var server = new FakeJobServer(FakeJobServer.StreamMode.DropsOnce);
        await server.StartAsync();
        using var user = Signed(server);

        var result = await user.RunAsync("jobs", "follow", server.JobId.ToString(), "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["", "3"], server.LastEventIds.ToArray()); // the second connection asked to go on after event 3
        var revisions = result.StdoutLines.Select(l => JsonNode.Parse(l)!["revision"]!.GetValue<long>()).ToList();
        Assert.Equal([2L, 3L, 4L], revisions);
        Assert.Contains("cut off; reconnecting from event 3", result.Stderr);
    }

    [Fact]
    public async Task without_a_stream_it_polls_the_job_until_it_ends()
    {
        await using var server = new FakeJobServer(FakeJobServer.StreamMode.Missing);
        await server.StartAsync();
        using var user = Signed(server);

        var result = await user.RunAsync("jobs", "follow", server.JobId.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("polling every 2 s instead", result.Stdout);
        Assert.Matches(@"(?m)^completed\s+step 10/10", result.Stdout);
        Assert.Contains($"Model {server.ModelId} (stored", result.Stdout);
    }

    [Fact]
    public async Task ctrl_c_stops_following_and_never_touches_the_job()
    {
        await using var server = new FakeJobServer(FakeJobServer.StreamMode.NeverEnds);
        await server.StartAsync();
        using var user = Signed(server);

        var result = await user.RunAsync(["jobs", "follow", server.JobId.ToString()], stdin: null, started: process => _ = InterruptAsync(process, server));
        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.Contains($"Stopped following job {server.JobId}; the job goes on", result.Stdout);
        Assert.Contains($"lora jobs follow {server.JobId}", result.Stdout);
        Assert.DoesNotContain(server.Requests, r => r.StartsWith("POST", StringComparison.Ordinal)); // no cancel, no pause
    }

    /// <summary>SIGINT, as Ctrl+C sends it, once the CLI is reading the stream.</summary>
    private static async Task InterruptAsync(Process process, FakeJobServer server)
    {
        await server.FirstEventSent.Task.WaitAsync(TimeSpan.FromSeconds(60));
        using var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
    }

    private static CliUser Signed(FakeJobServer server)
    {
        var user = new CliUser("fake");
        user.Environment["LORA_URL"] = server.Url;
        user.Environment["LORA_API_KEY"] = "lp_fake_key";
        return user;
    }
}
