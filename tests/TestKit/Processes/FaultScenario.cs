namespace LoraPipeline.TestKit.Processes;

/// <summary>
/// Jobs run against a cluster that misbehaves: a fifth of submit and status calls answer 5xx, one in
/// twenty status calls hangs past our time limit, one job in twenty is lost by the cluster and one
/// in twenty fails on its GPU, a fifth of model downloads answer 503, and one job in ten is preempted once. Every job must still end
/// in the state the cluster's own record says it should, with a reason that says why. Used by the
/// test suite (small) and by the reliability suite (`./bench.sh faults`, 200 jobs).
/// </summary>
public static class FaultScenario
{
    public sealed record JobEnd(Guid Id, string Status, string? Reason, bool HasModel, bool Accepted, bool Lost, bool FailsOnGpu)
    {
        /// <summary>What the cluster's record says the job should have become.</summary>
        public string Expected => (Accepted, Lost, FailsOnGpu) switch
        {
            (false, _, _) => "Failed: could not submit",
            (_, true, _) => "Failed: lost",
            (_, _, true) => "Failed: GPU failure",
            _ => "Completed",
        };

        public string Actual => Status switch
        {
            "Completed" when HasModel => "Completed",
            "Failed" when Reason?.Contains("Could not submit", StringComparison.Ordinal) == true => "Failed: could not submit",
            "Failed" when Reason?.Contains("lost the job", StringComparison.Ordinal) == true => "Failed: lost",
            "Failed" when Reason?.Contains("reported a failure", StringComparison.Ordinal) == true => "Failed: GPU failure",
            _ => $"{Status}: {Reason}",
        };

        public bool IsRight => Expected == Actual;
    }

    public sealed record Outcome(
        IReadOnlyList<JobEnd> Jobs, JobGuarantees Guarantees, int FailedSubmitAttempts, int MaxSubmitAttempt, int FailedStatusChecks,
        int MaxConsecutiveStatusFailures, int FailedModelCollections, IReadOnlyDictionary<string, int> InjectedFaults, TimeSpan Duration)
    {
        public int Right => Jobs.Count(j => j.IsRight);

        /// <summary>Faults of one kind the simulator injected (answered), whether or not our client's own retries hid them.</summary>
        public int Injected(string kind) => InjectedFaults.GetValueOrDefault(kind);
    }

    public static readonly IReadOnlyDictionary<string, string> Faults = new Dictionary<string, string>
    {
        ["Simulator:Faults:SubmitFailureRate"] = "0.2",
        ["Simulator:Faults:StatusFailureRate"] = "0.2",
        ["Simulator:Faults:StatusTimeoutRate"] = "0.05",
        ["Simulator:Faults:StatusTimeoutDelay"] = "00:00:05",
        ["Simulator:Faults:LostJobRate"] = "0.05",
        ["Simulator:Faults:JobFailureRate"] = "0.05",
        ["Simulator:Faults:ArtifactFailureRate"] = "0.2",
        // and a tenth of the jobs preempted once, restarted from their checkpoint: they still end as the record says
        ["Simulator:PreemptionRate"] = "0.1",
    };

    /// <param name="faults">Other rates than <see cref="Faults"/> (a small run needs higher ones to meet every kind of fault).</param>
    public static async Task<Outcome> RunAsync(string connectionString, int jobs, IReadOnlyDictionary<string, string>? faults = null)
    {
        var started = DateTime.UtcNow;
        var settings = new Dictionary<string, string>(faults ?? Faults)
        {
            ["GpuCluster:PollInterval"] = "00:00:01",
            ["GpuCluster:RequestTimeout"] = "00:00:01.500",
            ["GpuCluster:SubmitRetryDelay"] = "00:00:00.250",
            // polling alone must cope: no pushes from the cluster to paper over failed status calls
            ["GpuCluster:UseCallbacks"] = "false",
            ["Simulator:TimeScale"] = "150",
            ["Messaging:ScheduledPollingInterval"] = "00:00:00.200",
            ["Artifacts:RetryDelay"] = "00:00:00.500",
        };
        await using var host = await HostProcess.StartAsync(connectionString, settings);
        using var client = host.ClientFor(await host.CreateUserAsync("faults-" + Guid.NewGuid().ToString("N")[..6]));
        var dataset = await HostProcess.ReadyDatasetAsync(client, 40);
        await ScenarioJobs.CreateAsync([client], _ => ScenarioJobs.SmallJob(dataset), jobs);

        await using var db = new ScenarioDatabase(connectionString, host.Schema);
        await db.WaitUntilJobsSettleAsync(jobs, TimeSpan.FromMinutes(8));
        var schema = host.Schema;
        var ends = await db.RowsAsync($"""
            select j.id, j.status, j.data->>'ErrorMessage', j.data->>'ArtifactId' is not null, s.job_id is not null, coalesce(s.lost, false), s.fail_at_step is not null
            from "{schema}".mt_doc_trainingjob j left join "{schema}_sim".jobs s on s.job_id = j.id
            """, r => new JobEnd(r.GetGuid(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetBoolean(3), r.GetBoolean(4), r.GetBoolean(5), r.GetBoolean(6)));
        return new Outcome(
            ends,
            await db.GuaranteesAsync(),
            await db.CountAsync($"select count(*) from \"{schema}\".mt_events where type = 'training_job_submission_failed'"),
            await db.CountAsync($"select coalesce(max((data->>'Attempt')::int), 0) from \"{schema}\".mt_events where type = 'training_job_submission_failed'"),
            await db.CountAsync($"select count(*) from \"{schema}\".mt_events where type = 'cluster_status_check_failed'"),
            await db.CountAsync($"select coalesce(max((data->>'ConsecutiveFailures')::int), 0) from \"{schema}\".mt_events where type = 'cluster_status_check_failed'"),
            await db.CountAsync($"select count(*) from \"{schema}\".mt_events where type = 'artifact_collection_attempt_failed'"),
            (await db.RowsAsync($"select kind, injected::int from \"{schema}_sim\".injected_faults", r => (Kind: r.GetString(0), Count: r.GetInt32(1))))
                .ToDictionary(f => f.Kind, f => f.Count),
            DateTime.UtcNow - started);
    }
}
