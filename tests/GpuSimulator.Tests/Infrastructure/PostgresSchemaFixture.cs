using Npgsql;

namespace LoraPipeline.GpuSimulator.Tests.Infrastructure;

/// <summary>
/// Gives one test class its own schema in the database <c>gpusim_tests</c> (created when missing) on the server
/// named by <c>LORA_TEST_POSTGRES</c>, so classes run in parallel and repeatedly. The schema is dropped afterwards.
/// </summary>
public sealed class PostgresSchemaFixture : IAsyncLifetime
{
    public const string DatabaseName = "gpusim_tests";
    private static readonly SemaphoreSlim _databaseLock = new(1, 1);
    private static bool _databaseReady;

    public string Schema { get; } = "gs_" + Guid.NewGuid().ToString("N")[..12];

    public string ConnectionString { get; } = new NpgsqlConnectionStringBuilder(ServerConnectionString)
    {
        Database = DatabaseName,
        Pooling = true,
    }.ConnectionString;

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable("LORA_TEST_POSTGRES") is { Length: > 0 } value
            ? value
            : "Host=127.0.0.1;Port=5433;Username=postgres";

    public async Task InitializeAsync()
    {
        await _databaseLock.WaitAsync();
        try
        {
            if (_databaseReady)
            {
                return;
            }

            var admin = new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = "postgres", Pooling = false };
            await using var connection = new NpgsqlConnection(admin.ConnectionString);
            await connection.OpenAsync();
            await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = @name", connection);
            exists.Parameters.AddWithValue("name", DatabaseName);
            if (await exists.ExecuteScalarAsync() is null)
            {
                try
                {
                    await using var create = new NpgsqlCommand($"create database {DatabaseName}", connection);
                    await create.ExecuteNonQueryAsync();
                }
                catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
                {
                    // another test process created it in the meantime
                }
            }

            _databaseReady = true;
        }
        finally
        {
            _databaseLock.Release();
        }
    }

    public async Task DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop schema if exists \"{Schema}\" cascade", connection);
        await drop.ExecuteNonQueryAsync();
    }

    public async Task<T?> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql.Replace("{schema}", $"\"{Schema}\"", StringComparison.Ordinal), connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }
}
