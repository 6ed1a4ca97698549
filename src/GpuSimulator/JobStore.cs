using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace LoraPipeline.GpuSimulator;

/// <summary>
/// The simulator's tables (its jobs, and a count of the faults it injected), in its own schema, through plain Npgsql. The data source is private to the
/// simulator (not registered as <see cref="NpgsqlDataSource"/> in the container) so it never clashes with the
/// Host's own.
/// </summary>
internal sealed partial class JobStore : IAsyncDisposable
{
    private const string Columns =
        "external_job_id, job_id, idempotency_key, submitted_at, dataset_url, callback_url, hyperparameters, gpu_config, "
        + "train_examples, validation_examples, dataset_bytes, time_scale, gpu_throughput, fail_at_step, lost, cancelled_at, "
        + "submit_calls, artifact_manifest, preempt_at_step, restart_seconds, checkpoint_every, lifecycle_calls, checkpoint_manifests";

    // a raw interpolated string cannot hold braces next to each other; the literal goes in as a value
    private const string EmptyJsonObject = "'{}'::jsonb";

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _table;
    private readonly string _faultsTable;
    private readonly string _schema;
    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private volatile bool _schemaReady;

    public JobStore(IOptions<SimulatorOptions> options)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.ConnectionString))
        {
            throw new InvalidOperationException(
                "GPU simulator: set Simulator:ConnectionString (or ConnectionStrings:Postgres) to a PostgreSQL connection string.");
        }

        if (!IdentifierPattern().IsMatch(o.Schema))
        {
            throw new InvalidOperationException($"GPU simulator: Simulator:Schema '{o.Schema}' must be a lower-case SQL identifier.");
        }

        _schema = o.Schema;
        _table = $"\"{o.Schema}\".jobs";
        _faultsTable = $"\"{o.Schema}\".injected_faults";
        _dataSource = NpgsqlDataSource.Create(o.ConnectionString);
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex IdentifierPattern();

    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady)
        {
            return;
        }

        await _schemaLock.WaitAsync(cancellationToken);
        try
        {
            if (_schemaReady)
            {
                return;
            }

            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // several processes may start at once: concurrent "create ... if not exists" can still collide
            await using (var lockCommand = new NpgsqlCommand("select pg_advisory_xact_lock(hashtext(@schema))", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("schema", "lorapipeline.gpu_simulator." + _schema);
                await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            }

            var ddl = $"""
                create schema if not exists "{_schema}";
                create table if not exists {_table} (
                    external_job_id     text primary key,
                    job_id              uuid not null unique,
                    idempotency_key     text not null unique,
                    submitted_at        timestamptz not null,
                    dataset_url         text not null,
                    callback_url        text null,
                    hyperparameters     jsonb not null,
                    gpu_config          jsonb not null,
                    train_examples      integer not null,
                    validation_examples integer not null,
                    dataset_bytes       bigint not null,
                    time_scale          double precision not null,
                    gpu_throughput      double precision not null,
                    fail_at_step        integer null,
                    lost                boolean not null default false,
                    cancelled_at        timestamptz null,
                    submit_calls        integer not null default 1,
                    accepted_by         text not null,
                    artifact_manifest   jsonb null
                );
                -- contract v2: tables created by an older simulator gain these columns in place
                alter table {_table} add column if not exists preempt_at_step integer null;
                alter table {_table} add column if not exists restart_seconds double precision not null default {SimulatorOptions.DefaultRestartSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)};
                alter table {_table} add column if not exists checkpoint_every integer not null default 0;
                alter table {_table} add column if not exists lifecycle_calls jsonb not null default '[]'::jsonb;
                alter table {_table} add column if not exists checkpoint_manifests jsonb not null default {EmptyJsonObject};
                create table if not exists {_faultsTable} (
                    kind     text primary key,
                    injected bigint not null
                );
                """;
            await using (var command = new NpgsqlCommand(ddl, connection, transaction))
            {
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            _schemaReady = true;
        }
        finally
        {
            _schemaLock.Release();
        }
    }

    public async Task<JobRecord?> GetAsync(string externalJobId, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand($"select {Columns} from {_table} where external_job_id = @id");
        command.Parameters.AddWithValue("id", externalJobId);
        return await ReadSingleAsync(command, cancellationToken);
    }

    /// <summary>The job submitted with an idempotency key, or null (a lookup: no submit call is counted).</summary>
    public async Task<JobRecord?> FindByKeyAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand($"select {Columns} from {_table} where idempotency_key = @key");
        command.Parameters.AddWithValue("key", idempotencyKey);
        return await ReadSingleAsync(command, cancellationToken);
    }

    /// <summary>Finds the job of an idempotency key or job id and counts this submit call against it.</summary>
    public async Task<JobRecord?> FindAndCountSubmitAsync(string idempotencyKey, Guid jobId, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand($"""
            update {_table} set submit_calls = submit_calls + 1
            where external_job_id = (
                select external_job_id from {_table}
                where idempotency_key = @key or job_id = @job
                order by (idempotency_key = @key) desc
                limit 1)
            returning {Columns}
            """);
        command.Parameters.AddWithValue("key", idempotencyKey);
        command.Parameters.AddWithValue("job", jobId);
        return await ReadSingleAsync(command, cancellationToken);
    }

    /// <summary>Inserts the job unless its id or key exists already (race-safe); returns the stored row or null.</summary>
    public async Task<JobRecord?> TryInsertAsync(JobRecord job, string acceptedBy, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand($"""
            insert into {_table} (external_job_id, job_id, idempotency_key, submitted_at, dataset_url, callback_url,
                hyperparameters, gpu_config, train_examples, validation_examples, dataset_bytes, time_scale,
                gpu_throughput, fail_at_step, lost, submit_calls, accepted_by, preempt_at_step, restart_seconds, checkpoint_every)
            values (@external_job_id, @job_id, @idempotency_key, @submitted_at, @dataset_url, @callback_url,
                @hyperparameters, @gpu_config, @train_examples, @validation_examples, @dataset_bytes, @time_scale,
                @gpu_throughput, @fail_at_step, @lost, 1, @accepted_by, @preempt_at_step, @restart_seconds, @checkpoint_every)
            on conflict do nothing
            returning {Columns}
            """);
        var p = command.Parameters;
        p.AddWithValue("external_job_id", job.ExternalJobId);
        p.AddWithValue("job_id", job.JobId);
        p.AddWithValue("idempotency_key", job.IdempotencyKey);
        p.AddWithValue("submitted_at", job.SubmittedAt.UtcDateTime);
        p.AddWithValue("dataset_url", job.DatasetUrl);
        p.AddWithValue("callback_url", (object?)job.CallbackUrl ?? DBNull.Value);
        p.AddWithValue("hyperparameters", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(job.Hyperparameters, SimulatorJson.Options));
        p.AddWithValue("gpu_config", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(job.GpuConfig, SimulatorJson.Options));
        p.AddWithValue("train_examples", job.TrainExamples);
        p.AddWithValue("validation_examples", job.ValidationExamples);
        p.AddWithValue("dataset_bytes", job.DatasetBytes);
        p.AddWithValue("time_scale", job.TimeScale);
        p.AddWithValue("gpu_throughput", job.GpuThroughput);
        p.AddWithValue("fail_at_step", NpgsqlDbType.Integer, (object?)job.FailAtStep ?? DBNull.Value);
        p.AddWithValue("lost", job.Lost);
        p.AddWithValue("accepted_by", acceptedBy);
        p.AddWithValue("preempt_at_step", NpgsqlDbType.Integer, (object?)job.PreemptAtStep ?? DBNull.Value);
        p.AddWithValue("restart_seconds", job.RestartSeconds);
        p.AddWithValue("checkpoint_every", job.CheckpointEvery);
        return await ReadSingleAsync(command, cancellationToken);
    }

    /// <summary>
    /// Counts a fault the simulator injected, by kind, so a scenario can prove its client met (and
    /// survived) faults its own retries hid from the handlers.
    /// </summary>
    public async Task CountInjectedFaultAsync(string kind, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand(
            $"insert into {_faultsTable} (kind, injected) values (@kind, 1) on conflict (kind) do update set injected = {_faultsTable}.injected + 1");
        command.Parameters.AddWithValue("kind", kind);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records a cancellation; the first one wins.</summary>
    public async Task<JobRecord?> CancelAsync(string externalJobId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using (var command = _dataSource.CreateCommand(
            $"update {_table} set cancelled_at = @at where external_job_id = @id and cancelled_at is null"))
        {
            command.Parameters.AddWithValue("id", externalJobId);
            command.Parameters.AddWithValue("at", at.UtcDateTime);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return await GetAsync(externalJobId, cancellationToken);
    }

    /// <summary>
    /// Decides on a pause or resume under the row's lock, so concurrent calls (in any process) are decided one
    /// after the other against the state the previous one left. <paramref name="decide"/> gets the row and the
    /// instant of the call (now, or the last recorded call's instant when this process's clock is behind it)
    /// and returns the call to record (or null) with its answer. Returns null when there is no such job.
    /// </summary>
    public async Task<(JobRecord Job, T Result)?> DecideLifecycleCallAsync<T>(
        string externalJobId, DateTimeOffset now, Func<JobRecord, DateTimeOffset, (LifecycleCall? Call, T Result)> decide,
        CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        JobRecord? job;
        await using (var select = new NpgsqlCommand($"select {Columns} from {_table} where external_job_id = @id for update", connection, transaction))
        {
            select.Parameters.AddWithValue("id", externalJobId);
            job = await ReadSingleAsync(select, cancellationToken);
        }

        if (job is null)
        {
            return null;
        }

        var at = job.LifecycleCalls.Count > 0 && job.LifecycleCalls[^1].At > now ? job.LifecycleCalls[^1].At : now;
        var (call, result) = decide(job, at);
        if (call is not null)
        {
            job = job with { LifecycleCalls = [.. job.LifecycleCalls, call] };
            await using var update = new NpgsqlCommand($"update {_table} set lifecycle_calls = @calls where external_job_id = @id", connection, transaction);
            update.Parameters.AddWithValue("id", externalJobId);
            update.Parameters.AddWithValue("calls", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(job.LifecycleCalls, SimulatorJson.Options));
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (job, result);
    }

    public async Task SaveCheckpointManifestAsync(string externalJobId, int step, string manifestJson, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand($"""
            update {_table} set checkpoint_manifests = checkpoint_manifests || jsonb_build_object(@step, @manifest)
            where external_job_id = @id and not checkpoint_manifests ? @step
            """);
        command.Parameters.AddWithValue("id", externalJobId);
        command.Parameters.AddWithValue("step", NpgsqlDbType.Text, step.ToString(System.Globalization.CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("manifest", NpgsqlDbType.Jsonb, manifestJson);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task SaveArtifactManifestAsync(string externalJobId, string manifestJson, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken);
        await using var command = _dataSource.CreateCommand(
            $"update {_table} set artifact_manifest = @manifest where external_job_id = @id and artifact_manifest is null");
        command.Parameters.AddWithValue("id", externalJobId);
        command.Parameters.AddWithValue("manifest", NpgsqlDbType.Jsonb, manifestJson);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<JobRecord?> ReadSingleAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new JobRecord
        {
            ExternalJobId = reader.GetString(0),
            JobId = reader.GetGuid(1),
            IdempotencyKey = reader.GetString(2),
            SubmittedAt = ToOffset(reader.GetDateTime(3)),
            DatasetUrl = reader.GetString(4),
            CallbackUrl = reader.IsDBNull(5) ? null : reader.GetString(5),
            Hyperparameters = JsonSerializer.Deserialize<Hyperparameters>(reader.GetString(6), SimulatorJson.Options)!,
            GpuConfig = JsonSerializer.Deserialize<GpuConfig>(reader.GetString(7), SimulatorJson.Options)!,
            TrainExamples = reader.GetInt32(8),
            ValidationExamples = reader.GetInt32(9),
            DatasetBytes = reader.GetInt64(10),
            TimeScale = reader.GetDouble(11),
            GpuThroughput = reader.GetDouble(12),
            FailAtStep = reader.IsDBNull(13) ? null : reader.GetInt32(13),
            Lost = reader.GetBoolean(14),
            CancelledAt = reader.IsDBNull(15) ? null : ToOffset(reader.GetDateTime(15)),
            SubmitCalls = reader.GetInt32(16),
            ArtifactManifest = reader.IsDBNull(17) ? null : reader.GetString(17),
            PreemptAtStep = reader.IsDBNull(18) ? null : reader.GetInt32(18),
            RestartSeconds = reader.GetDouble(19),
            CheckpointEvery = reader.GetInt32(20),
            LifecycleCalls = JsonSerializer.Deserialize<List<LifecycleCall>>(reader.GetString(21), SimulatorJson.Options) ?? [],
            CheckpointManifests = reader.GetString(22),
        };
    }

    private static DateTimeOffset ToOffset(DateTime value) =>
        new(DateTime.SpecifyKind(value, DateTimeKind.Utc), TimeSpan.Zero);

    public async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        _schemaLock.Dispose();
    }
}
