using Npgsql;
using Testcontainers.PostgreSql;

namespace LoraPipeline.TestKit;

/// <summary>
/// The PostgreSQL server tests run against: LORA_TEST_POSTGRES (./test.sh sets it to a local
/// server it starts), or a Testcontainers container when LORA_TEST_DOCKER=1 and a Docker engine
/// answers. Each test class then works in schemas of its own (see <see cref="PlatformHost"/>).
/// </summary>
public static class TestDatabase
{
    private static readonly Lazy<Task<string>> Server = new(FindServerAsync);

    public static Task<string> ConnectionStringAsync() => Server.Value;

    private static async Task<string> FindServerAsync()
    {
        var configured = Environment.GetEnvironmentVariable("LORA_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            await EnsureReachableAsync(configured);
            return configured;
        }

        if (Environment.GetEnvironmentVariable("LORA_TEST_DOCKER") == "1")
        {
            try
            {
                var container = new PostgreSqlBuilder("postgres:15-alpine").Build();
                await container.StartAsync();
                return container.GetConnectionString();
            }
            catch (Exception e)
            {
                throw new InvalidOperationException(
                    "LORA_TEST_DOCKER=1 but Testcontainers could not start PostgreSQL (is a Docker engine running?). " + e.Message, e);
            }
        }

        throw new InvalidOperationException(
            "No PostgreSQL for the tests. Run ./test.sh (it starts a local server from this machine's binaries), " +
            "or set LORA_TEST_POSTGRES to a connection string, or set LORA_TEST_DOCKER=1 with a Docker engine running.");
    }

    private static async Task EnsureReachableAsync(string connectionString)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
        }
        catch (Exception e)
        {
            throw new InvalidOperationException(
                $"LORA_TEST_POSTGRES is set but PostgreSQL does not answer ({e.Message}). Start it with scripts/postgres.sh or run ./test.sh.", e);
        }
    }

    /// <summary>Drops a test class's schemas; tests leave nothing behind.</summary>
    public static async Task DropSchemasAsync(string connectionString, params string[] schemas)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var schema in schemas)
        {
            await using var command = new NpgsqlCommand($"drop schema if exists \"{schema}\" cascade", connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
