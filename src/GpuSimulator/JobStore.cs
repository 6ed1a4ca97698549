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
        + "submit_calls, artifact_manifest";

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
                gpu_throughput, fail_at_step, lost, submit_calls, accepted_by)
            values (@external_job_id, @job_id, @idempotency_key, @submitted_at, @dataset_url, @callback_url,
                @hyperparameters, @gpu_config, @train_examples, @validation_examples, @dataset_bytes, @time_scale,
                @gpu_throughput, @fail_at_step, @lost, 1, @accepted_by)
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
