using System.Diagnostics;
using System.Globalization;

namespace LoraPipeline.TestKit.Processes;

/// <summary>
/// Several Host processes on one database (Cluster:Mode = Balanced) share jobs created through all
/// of them; once every job runs, the first node (Wolverine's leader, which also started the
/// projections) is killed with SIGKILL. Measured: how long its jobs went unpolled, how long the
/// async projections stood still, and whether every guarantee of the crash scenario still holds.
/// Used by the test suite (2 nodes) and by the reliability suite (`./bench.sh nodes`, 3 nodes).
/// </summary>
public static class NodesScenario
{
    /// <param name="PollGaps">Per job running at the kill: last poll before it to the first poll after it, in seconds.</param>
    /// <param name="ProjectionStalls">Per sample after the kill: seconds until every projection had reached the events stored at that moment.</param>
    /// <param name="SubmissionsByNode">How many jobs each node submitted to the cluster (node 1 is the one killed).</param>
    /// <param name="CpuSecondsByNode">CPU time each node spent (node 1 until its death).</param>
    public sealed record Outcome(
        int Nodes, int Jobs, TimeSpan PollInterval, TimeSpan NodeTimeout, JobGuarantees Guarantees,
        IReadOnlyList<double> PollGaps, IReadOnlyList<double> ProjectionStalls,
        IReadOnlyList<int> SubmissionsByNode, IReadOnlyList<double> CpuSecondsByNode, TimeSpan Duration)
    {
        /// <summary>The longest a dead node's job waited beyond its normal poll interval.</summary>
        public double PollTakeoverSeconds => PollGaps.Count == 0 ? double.NaN : PollGaps.Max() - PollInterval.TotalSeconds;

        public double ProjectionTakeoverSeconds => ProjectionStalls.Count == 0 ? 0 : ProjectionStalls.Max();
    }

    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(10);

    public static async Task<Outcome> RunAsync(string connectionString, int nodes, int jobs, Action<string>? log = null)
    {
        var started = DateTime.UtcNow;
        await using var first = await HostProcess.StartAsync(connectionString, new Dictionary<string, string>
        {
            ["Cluster:Mode"] = "Balanced",
            ["Cluster:HeartbeatInterval"] = "00:00:02",
            ["Cluster:NodeTimeout"] = NodeTimeout.ToString("c", CultureInfo.InvariantCulture),
            ["GpuCluster:PollInterval"] = PollInterval.ToString("c", CultureInfo.InvariantCulture),
            ["GpuCluster:UseCallbacks"] = "false", // only polls move jobs on, so a missed poll shows
            // 10 epochs at 30x: about 20 s to start, then about 110 s of training, long past the takeover
            ["Simulator:TimeScale"] = "30",
            ["Messaging:ScheduledPollingInterval"] = "00:00:00.200",
            ["Artifacts:RetryDelay"] = "00:00:00.500",
        });
        var peers = new List<HostProcess>();
        try
        {
            for (var i = 1; i < nodes; i++)
            {
                peers.Add(await first.StartPeerAsync());
            }

            var all = new[] { first }.Concat(peers).ToList();
            var key = await first.CreateUserAsync("nodes-" + Guid.NewGuid().ToString("N")[..6]);
            var clients = all.Select(n => n.ClientFor(key)).ToList();
            await using var db = new ScenarioDatabase(connectionString, first.Schema);
            var dataset = await HostProcess.ReadyDatasetAsync(clients[^1], 40);
            await ScenarioJobs.CreateAsync(clients, _ => ScenarioJobs.SmallJob(dataset, epochs: 10), jobs);
            await HostProcess.UntilAsync(
                async () => await db.CountAsync($"select count(*) from \"{first.Schema}\".mt_doc_trainingjob where status = 'Running'") >= jobs,
                TimeSpan.FromMinutes(3), "every job is running");
            // two polls of every job before the kill, so each job's gap across it can be measured
            await HostProcess.UntilAsync(
                async () => await db.CountAsync($"select count(*) from \"{first.Schema}\".mt_events where type = 'training_progress_recorded'") >= 2 * jobs,
                TimeSpan.FromMinutes(1), "every job was polled twice");
            await HostProcess.UntilAsync(db.ProjectionsCaughtUpAsync, TimeSpan.FromMinutes(1), "the projections caught up before the kill");

            var pids = all.Select(n => n.Pid).ToList();
            var firstCpu = first.CpuSeconds();
            var killedAt = DateTimeOffset.UtcNow;
            log?.Invoke($"killing node 1 of {nodes} (pid {first.Pid})");
            await first.KillAsync();

            var stalls = await WatchProjectionsAsync(db, jobs);
            await db.WaitUntilJobsSettleAsync(jobs, TimeSpan.FromMinutes(5));
            var cpu = new List<double> { firstCpu };
            cpu.AddRange(peers.Select(p => p.CpuSeconds()));

            return new Outcome(
                nodes, jobs, PollInterval, NodeTimeout, await db.GuaranteesAsync(),
                await PollGapsAsync(db, killedAt), stalls,
                await SubmissionsByNodeAsync(db, pids), cpu, DateTime.UtcNow - started);
        }
        finally
        {
            // the peers first: disposing the first node drops the shared schemas
            foreach (var peer in peers)
            {
                await peer.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Samples the newest event and the slowest projection every 250 ms until all jobs ended; for each
    /// sample, how long until every projection had passed the newest event seen then.
    /// </summary>
    private static async Task<List<double>> WatchProjectionsAsync(ScenarioDatabase db, int jobs)
    {
        var samples = new List<(TimeSpan At, long High, long Lowest)>();
        var clock = Stopwatch.StartNew();
        while (await db.FinishedJobsAsync() < jobs && clock.Elapsed < TimeSpan.FromMinutes(5))
        {
            var high = await db.ScalarAsync($"select coalesce(max(seq_id), 0) from \"{db.Schema}\".mt_events");
            var lowest = await db.ScalarAsync($"select coalesce(min(last_seq_id), 0) from \"{db.Schema}\".mt_event_progression where name like '%:All'");
            samples.Add((clock.Elapsed, high, lowest));
            await Task.Delay(250); // the sampling period of a measurement, not a wait for an outcome
        }

        var stalls = new List<double>();
        foreach (var sample in samples)
        {
            var reached = samples.FirstOrDefault(s => s.At >= sample.At && s.Lowest >= sample.High);
            stalls.Add(((reached == default ? clock.Elapsed : reached.At) - sample.At).TotalSeconds);
        }

        return stalls;
    }

    private static Task<List<double>> PollGapsAsync(ScenarioDatabase db, DateTimeOffset killedAt) => db.RowsAsync($"""
        with polls as (
          select stream_id, (data->>'At')::timestamptz as at from "{db.Schema}".mt_events
          where type in ('training_progress_recorded', 'cluster_status_check_failed') and data->>'PollNumber' is not null)
        select extract(epoch from min(at) filter (where at >= '{killedAt:O}') - max(at) filter (where at < '{killedAt:O}'))::float8
        from polls group by stream_id
        having count(*) filter (where at >= '{killedAt:O}') > 0 and count(*) filter (where at < '{killedAt:O}') > 0
        """, r => r.GetDouble(0));

    /// <summary>The simulator records which process accepted each submission ("machine/pid/instance").</summary>
    private static async Task<List<int>> SubmissionsByNodeAsync(ScenarioDatabase db, IReadOnlyList<int> pids)
    {
        var byPid = (await db.RowsAsync($"select split_part(accepted_by, '/', 2)::int, count(*) from \"{db.Schema}_sim\".jobs group by 1",
            r => (Pid: r.GetInt32(0), Count: (int)r.GetInt64(1)))).ToDictionary(r => r.Pid, r => r.Count);
        return pids.Select(pid => byPid.GetValueOrDefault(pid)).ToList();
    }
}
