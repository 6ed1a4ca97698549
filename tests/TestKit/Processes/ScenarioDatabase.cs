using System.Globalization;
using System.Text;
using Npgsql;

namespace LoraPipeline.TestKit.Processes;

/// <summary>
/// Reads a Host's schemas directly (events, documents, Wolverine's envelopes, the simulator's
/// jobs): the reliability scenarios check their guarantees where the data is, not through the API
/// under test.
/// </summary>
public sealed class ScenarioDatabase(string connectionString, string schema) : IAsyncDisposable
{
    private readonly NpgsqlDataSource _db = NpgsqlDataSource.Create(connectionString);

    public string Schema { get; } = schema;

    public const string TerminalEvents = "'training_job_completed','training_job_failed','training_job_cancelled'";

    public async Task<long> ScalarAsync(string sql)
    {
        await using var command = _db.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public async Task<int> CountAsync(string sql) => (int)await ScalarAsync(sql);

    public async Task<List<T>> RowsAsync<T>(string sql, Func<NpgsqlDataReader, T> read)
    {
        var rows = new List<T>();
        await using var command = _db.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>Jobs that ended, counting a completed job only once its model is stored.</summary>
    public Task<int> FinishedJobsAsync() => CountAsync($"""
        select count(*) from "{Schema}".mt_doc_trainingjob
        where status in ('Completed', 'Failed', 'Cancelled') and (status <> 'Completed' or data->>'ArtifactId' is not null)
        """);

    /// <summary>Every async projection (cost records, notifications, daily costs) has seen every event.</summary>
    public async Task<bool> ProjectionsCaughtUpAsync()
    {
        var high = await ScalarAsync($"select coalesce(max(seq_id), 0) from \"{Schema}\".mt_events");
        var lowest = await ScalarAsync($"select coalesce(min(last_seq_id), 0) from \"{Schema}\".mt_event_progression where name like '%:All'");
        return lowest >= high;
    }

    /// <summary>Waits until every job ended and the projections caught up; on time-out, says what is stuck.</summary>
    public async Task WaitUntilJobsSettleAsync(int jobs, TimeSpan timeout)
    {
        try
        {
            await HostProcess.UntilAsync(async () => await FinishedJobsAsync() >= jobs, timeout, "every job ended and every completed job has its model");
            await HostProcess.UntilAsync(ProjectionsCaughtUpAsync, TimeSpan.FromMinutes(2), "the async projections caught up");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(e.Message + "\n" + await DiagnoseAsync(), e);
        }
    }

    /// <summary>What every job is owed, read back from the event store, the projections and the simulator.</summary>
    public async Task<JobGuarantees> GuaranteesAsync()
    {
        var statuses = (await RowsAsync($"select status, count(*) from \"{Schema}\".mt_doc_trainingjob group by status",
            r => (r.GetString(0), (int)r.GetInt64(1)))).ToDictionary(r => r.Item1, r => r.Item2);
        return new JobGuarantees(
            statuses.Values.Sum(),
            statuses,
            await CountAsync($"select count(*) from (select stream_id from \"{Schema}\".mt_events where type in ({TerminalEvents}) group by stream_id having count(*) = 1) t"),
            await CountAsync($"select count(*) from \"{Schema}\".mt_events where type in ({TerminalEvents})"),
            await CountAsync($"select count(*) from \"{Schema}_sim\".jobs"),
            await CountAsync($"select coalesce(sum(submit_calls), 0) from \"{Schema}_sim\".jobs"),
            await CountAsync($"select count(*) from \"{Schema}_sim\".jobs s join \"{Schema}\".mt_doc_trainingjob j on j.id = s.job_id where j.data->>'ExternalJobId' = s.external_job_id"),
            await CountAsync($"select count(*) from \"{Schema}\".mt_doc_trainingjob where data->>'StartedAt' is not null"),
            await CountAsync($"select count(*) from \"{Schema}\".mt_doc_costrecord where data->>'CostType' = 'training_compute'"),
            await CountAsync($"select count(*) from \"{Schema}\".mt_doc_costrecord where data->>'CostType' = 'storage'"),
            await CountAsync($"select count(*) from \"{Schema}\".mt_doc_modelartifact"),
            await CountAsync($"""
                select count(*) from (
                  select j.id from "{Schema}".mt_doc_notification n
                  join "{Schema}".mt_doc_trainingjob j on j.id::text = n.data->'Metadata'->>'job_id'
                  group by j.id, j.status, j.data->>'StartedAt'
                  having count(*) = count(distinct n.data->>'Type')
                     and count(*) filter (where n.data->>'Type' = 'job_queued') = 1
                     and count(*) filter (where n.data->>'Type' in ('job_completed', 'job_failed', 'job_cancelled')) = 1
                     and (count(*) filter (where n.data->>'Type' = 'job_started') = 1) = (j.data->>'StartedAt' is not null)
                     and (count(*) filter (where n.data->>'Type' = 'artifact_ready') = 1) = (j.status = 'Completed')) t
                """),
            await CountAsync($"select count(*) from \"{Schema}\".mt_doc_dataset where status = 'Ready'"),
            await CountAsync($"select count(*) from \"{Schema}\".mt_doc_trainingjob where (data->>'RecoveryCount')::int > 0"),
            await CountAsync($"select coalesce(sum(jsonb_array_length(jsonb_path_query_array(lifecycle_calls, '$[*] ? (@.action == \"resume\")'))), 0) from \"{Schema}_sim\".jobs"),
            await DecimalAsync($"select coalesce(sum((data->>'Amount')::numeric), 0) from \"{Schema}\".mt_doc_costrecord where data->>'CostType' = 'training_compute'"),
            await DecimalAsync($"select coalesce(sum((data->>'FinalCost')::numeric), 0) from \"{Schema}\".mt_doc_trainingjob"));
    }

    private async Task<decimal> DecimalAsync(string sql) => (await RowsAsync(sql, r => r.GetDecimal(0))).Single();

    /// <summary>What a stuck run looks like: the unfinished jobs' last events and what Wolverine still holds.</summary>
    public async Task<string> DiagnoseAsync()
    {
        var report = new StringBuilder();
        async Task Rows(string title, string sql)
        {
            report.AppendLine(title);
            try
            {
                foreach (var row in await RowsAsync(sql, r => string.Join(" | ", Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "null" : r.GetValue(i).ToString()))))
                {
                    report.AppendLine("  " + row);
                }
            }
            catch (PostgresException e)
            {
                report.AppendLine("  (could not read: " + e.MessageText + ")");
            }
        }

        await Rows("unfinished jobs (id, status, artifact, last events, model collection):", $"""
            select j.id, j.status, j.data->>'ArtifactId',
              (select string_agg(type, ',' order by version desc) from (select type, version from "{Schema}".mt_events e where e.stream_id = j.id order by version desc limit 6) t),
              (select concat_ws(' ', m.data->>'Status', 'attempts failed:', m.data->>'CollectionAttempts', m.data->>'CollectionError')
                 from "{Schema}".mt_doc_modelartifact m where m.data->>'JobId' = j.id::text)
            from "{Schema}".mt_doc_trainingjob j
            where not (status in ('Completed', 'Failed', 'Cancelled') and (status <> 'Completed' or data->>'ArtifactId' is not null)) limit 10
            """);
        await Rows("incoming envelopes (status, owner, type, count):", $"select status, owner_id, message_type, count(*) from \"{Schema}_messages\".wolverine_incoming_envelopes group by 1, 2, 3");
        await Rows("dead letters (type, exception):", $"select message_type, exception_type, left(exception_message, 200) from \"{Schema}_messages\".wolverine_dead_letters limit 10");
        await Rows("nodes:", $"select * from \"{Schema}_messages\".wolverine_nodes");
        await Rows("projection progress:", $"select name, last_seq_id from \"{Schema}\".mt_event_progression");
        return report.ToString();
    }

    public ValueTask DisposeAsync() => _db.DisposeAsync();
}

/// <summary>
/// The counts behind the reliability guarantees. A job that ended owes exactly one terminal event,
/// one compute cost record if GPU time started, one notification per step it went through, and (if it completed) one
/// stored model with its storage record; the cluster owes exactly one job per job.
/// </summary>
public sealed record JobGuarantees(
    int Jobs, IReadOnlyDictionary<string, int> FinalStatuses, int JobsWithOneTerminalEvent, int TerminalEvents, int ClusterJobs, int SubmitCalls,
    int ClusterIdsMatching, int StartedJobs, int ComputeRecords, int StorageRecords, int Models, int JobsWithOneNotificationPerStep, int ReadyDatasets,
    int RecoveredJobs, int ClusterResumes, decimal ComputeBilled, decimal FinalCosts)
{
    /// <summary>Each recovery made one restart on the cluster (a resume sent twice after a crash restarts once).</summary>
    public bool OneRestartPerRecovery => ClusterResumes == RecoveredJobs;

    /// <summary>The compute bills add up to the jobs' final costs, to the cent.</summary>
    public bool BillsMatchFinalCosts => ComputeBilled == FinalCosts;

    public int Completed => FinalStatuses.GetValueOrDefault("Completed");

    /// <summary>Every guarantee at once, for a results table; the tests assert them one by one.</summary>
    public bool AllHold(int expectedJobs, int expectedClusterJobs, int datasets) =>
        Jobs == expectedJobs && JobsWithOneTerminalEvent == expectedJobs && TerminalEvents == expectedJobs
        && ClusterJobs == expectedClusterJobs && ClusterIdsMatching == expectedClusterJobs
        && ComputeRecords == StartedJobs && Models == Completed && StorageRecords == Completed
        && JobsWithOneNotificationPerStep == expectedJobs && ReadyDatasets == datasets && OneRestartPerRecovery && BillsMatchFinalCosts;
}
