namespace LoraPipeline.TestKit.Processes;

/// <summary>
/// Jobs in flight on the real Host process, which is killed with SIGKILL at moments spread over the
/// jobs' lives (submitting, running, finishing, collecting models) and started again; then the
/// guarantees are read back from the database. Used by the test suite (small) and by the
/// reliability suite (`./bench.sh crash`, 200 jobs).
/// </summary>
public static class CrashScenario
{
    public sealed record Outcome(int Jobs, int Kills, JobGuarantees Guarantees, TimeSpan Duration);

    /// <param name="jitter">Adds a random wait of up to this long after each kill's milestone, so the kill lands at an arbitrary point.</param>
    /// <param name="preemptionRate">The share of jobs the simulator preempts once, so kills also land during recoveries.</param>
    public static async Task<Outcome> RunAsync(
        string connectionString, int jobs, int kills, TimeSpan jitter = default, Action<string>? log = null, double preemptionRate = 0)
    {
        var started = DateTime.UtcNow;
        await using var host = await HostProcess.StartAsync(connectionString, new Dictionary<string, string>
        {
            ["GpuCluster:PollInterval"] = "00:00:01",
            ["GpuCluster:UseCallbacks"] = "false",
            ["Simulator:TimeScale"] = "150",
            ["Messaging:ScheduledPollingInterval"] = "00:00:00.200",
            ["Artifacts:RetryDelay"] = "00:00:00.500",
            ["Simulator:PreemptionRate"] = preemptionRate.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var client = host.ClientFor(await host.CreateUserAsync("crash-" + Guid.NewGuid().ToString("N")[..6]));
        var dataset = await HostProcess.ReadyDatasetAsync(client, 40);
        await ScenarioJobs.CreateAsync([client], _ => ScenarioJobs.SmallJob(dataset), jobs);

        await using var db = new ScenarioDatabase(connectionString, host.Schema);
        var random = new Random();
        for (var kill = 1; kill <= kills; kill++)
        {
            var threshold = jobs * kill / (kills + 1) * 2;
            await HostProcess.UntilAsync(
                async () => await db.CountAsync($"select count(*) from \"{host.Schema}\".mt_events where type in ('training_job_started', 'training_job_completed', 'artifact_ready')") >= threshold,
                TimeSpan.FromMinutes(5), $"{threshold} milestones before kill {kill}");
            if (jitter > TimeSpan.Zero)
            {
                await Task.Delay(random.Next((int)jitter.TotalMilliseconds)); // the random moment itself, not a wait for an outcome
            }

            log?.Invoke($"kill {kill} of {kills}");
            await host.KillAsync();
            await host.RestartAsync();
        }

        await db.WaitUntilJobsSettleAsync(jobs, TimeSpan.FromMinutes(5));
        return new Outcome(jobs, kills, await db.GuaranteesAsync(), DateTime.UtcNow - started);
    }
}
