using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LoraPipeline.TestKit.Processes;
using Npgsql;

namespace LoraPipeline.TestKit.Processes;

/// <summary>
/// Jobs in flight on the real Host process, which is killed with SIGKILL at chosen moments and
/// started again; then the guarantees are read back from the database. Used by the test suite
/// (small) and by the reliability suite (`./bench.sh crash`, 200 jobs).
/// </summary>
public static class CrashScenario
{
    public sealed record Outcome(
        int Jobs, int Kills, IReadOnlyDictionary<string, int> FinalStatuses, int JobsWithOneTerminalEvent, int ClusterJobs, int SubmitCalls,
        int ClusterIdsMatching, int ComputeRecords, int StorageRecords, int Models, int JobsWithOneNotificationPerStep, TimeSpan Duration);

    public static async Task<Outcome> RunAsync(string connectionString, int jobs, int kills, Action<string>? log = null)
    {
        var started = DateTime.UtcNow;
        await using var host = await HostProcess.StartAsync(connectionString, new Dictionary<string, string>
        {
            ["GpuCluster:PollInterval"] = "00:00:01",
            ["GpuCluster:UseCallbacks"] = "false",
            ["Simulator:TimeScale"] = "150",
            ["Messaging:ScheduledPollingInterval"] = "00:00:00.200",
            ["Artifacts:RetryDelay"] = "00:00:00.500",
        });
        using var client = host.ClientFor(await host.CreateUserAsync("crash-" + Guid.NewGuid().ToString("N")[..6]));
        var dataset = await HostProcess.ReadyDatasetAsync(client, 40);
        var ids = new List<Guid>();
        await Parallel.ForEachAsync(Enumerable.Range(0, jobs), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) =>
        {
            var response = await client.PostAsJsonAsync("/api/jobs",
                new { dataset_id = dataset, preset_id = "fast", gpu_config = new { type = "H100", count = 1 }, hyperparameters = new { epochs = 2, batch_size = 4 } }, ct);
            response.EnsureSuccessStatusCode();
            var id = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))!["data"]!["id"]!.GetValue<Guid>();
            lock (ids)
            {
                ids.Add(id);
            }
        });

        await using var db = NpgsqlDataSource.Create(connectionString);
        // kill at moments spread over the jobs' lives: while submitting, running, finishing, collecting models
        for (var kill = 1; kill <= kills; kill++)
        {
            var threshold = jobs * kill / (kills + 1);
            await HostProcess.UntilAsync(async () => await CountAsync(db, $"select count(*) from \"{host.Schema}\".mt_events where type in ('training_job_started', 'training_job_completed', 'artifact_ready')") >= threshold * 2,
                TimeSpan.FromMinutes(5), $"{threshold * 2} milestones before kill {kill}");
            log?.Invoke($"kill {kill} of {kills}");
            await host.KillAsync();
            await host.RestartAsync();
        }

        try
        {
            await HostProcess.UntilAsync(async () =>
                    await CountAsync(db, $"select count(*) from \"{host.Schema}\".mt_doc_trainingjob where status in ('Completed', 'Failed', 'Cancelled') and (status <> 'Completed' or data->>'ArtifactId' is not null)") >= jobs,
                TimeSpan.FromMinutes(4), "every job ended and every completed job has its model");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + await DiagnoseAsync(db, host.Schema), e);
        }
        await HostProcess.UntilAsync(async () => await ProjectionsCaughtUpAsync(db, host.Schema), TimeSpan.FromMinutes(2), "the async projections caught up");

        var schema = host.Schema;
        var statuses = new Dictionary<string, int>();
        await using (var command = db.CreateCommand($"select status, count(*) from \"{schema}\".mt_doc_trainingjob group by status"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                statuses[reader.GetString(0)] = (int)reader.GetInt64(1);
            }
        }

        return new Outcome(
            jobs,
            kills,
            statuses,
            await CountAsync(db, $"select count(*) from (select stream_id from \"{schema}\".mt_events where type in ('training_job_completed','training_job_failed','training_job_cancelled') group by stream_id having count(*) = 1) t"),
            await CountAsync(db, $"select count(*) from \"{schema}_sim\".jobs"),
            await CountAsync(db, $"select coalesce(sum(submit_calls), 0) from \"{schema}_sim\".jobs"),
            await CountAsync(db, $"select count(*) from \"{schema}_sim\".jobs s join \"{schema}\".mt_doc_trainingjob j on j.id = s.job_id where j.data->>'ExternalJobId' = s.external_job_id"),
            await CountAsync(db, $"select count(*) from \"{schema}\".mt_doc_costrecord where data->>'CostType' = 'training_compute'"),
            await CountAsync(db, $"select count(*) from \"{schema}\".mt_doc_costrecord where data->>'CostType' = 'storage'"),
            await CountAsync(db, $"select count(*) from \"{schema}\".mt_doc_modelartifact"),
            await CountAsync(db, $"""
                select count(*) from (
                  select data->'Metadata'->>'job_id' as job from "{schema}".mt_doc_notification
                  where data->>'Type' in ('job_queued','job_started','job_completed','artifact_ready')
                  group by 1 having count(*) = 4 and count(distinct data->>'Type') = 4) t
                """),
            DateTime.UtcNow - started);
    }

    /// <summary>What a stuck run looks like: the unfinished jobs' last events and what Wolverine still holds.</summary>
    private static async Task<string> DiagnoseAsync(NpgsqlDataSource db, string schema)
    {
        var report = new System.Text.StringBuilder();
        async Task Rows(string title, string sql)
        {
            report.AppendLine(title);
            try
            {
                await using var command = db.CreateCommand(sql);
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    report.AppendLine("  " + string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "null" : reader.GetValue(i).ToString())));
                }
            }
            catch (PostgresException e)
            {
                report.AppendLine("  (could not read: " + e.MessageText + ")");
            }
        }

        await Rows("unfinished jobs (id, status, artifact, last events):", $"""
            select j.id, j.status, j.data->>'ArtifactId',
              (select string_agg(type, ',' order by version desc) from (select type, version from "{schema}".mt_events e where e.stream_id = j.id order by version desc limit 6) t)
            from "{schema}".mt_doc_trainingjob j
            where not (status in ('Completed', 'Failed', 'Cancelled') and (status <> 'Completed' or data->>'ArtifactId' is not null)) limit 10
            """);
        await Rows("incoming envelopes (status, owner, type, count):", $"select status, owner_id, message_type, count(*) from \"{schema}_messages\".wolverine_incoming_envelopes group by 1, 2, 3");
        await Rows("dead letters (type, exception):", $"select message_type, exception_type, left(exception_message, 200) from \"{schema}_messages\".wolverine_dead_letters limit 10");
        await Rows("nodes:", $"select * from \"{schema}_messages\".wolverine_nodes");
        await Rows("scheduled polls due in the past:", $"select count(*), min(execution_time) from \"{schema}_messages\".wolverine_incoming_envelopes where status = 'Scheduled' and execution_time < now()");
        return report.ToString();
    }

    private static async Task<bool> ProjectionsCaughtUpAsync(NpgsqlDataSource db, string schema)
    {
        var high = await CountAsync(db, $"select coalesce(max(seq_id), 0) from \"{schema}\".mt_events");
        var lowest = await CountAsync(db, $"select coalesce(min(last_seq_id), 0) from \"{schema}\".mt_event_progression where name <> 'HighWaterMark'");
        return lowest >= high;
    }

    private static async Task<int> CountAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
