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
            var bounded = Bounded(configured);
            await EnsureReachableAsync(bounded);
            return bounded;
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

    /// <summary>
    /// Caps each connection pool of the test process and lets idle connections go soon: test classes run in
    /// parallel, each host has a few pools (Marten, Wolverine, the simulator), and at Npgsql's default of 100 per
    /// pool the reliability lane alone once held 214 connections while the other lane held 134, and a CI run
    /// failed with "53300: sorry, too many clients already". A settings-given cap is kept.
    /// </summary>
    private static string Bounded(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Maximum Pool Size", StringComparison.OrdinalIgnoreCase) &&
            !connectionString.Contains("Max Pool Size", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxPoolSize = 30;
        }

        if (!connectionString.Contains("Idle Lifetime", StringComparison.OrdinalIgnoreCase))
        {
            builder.ConnectionIdleLifetime = 30;
        }

        return builder.ConnectionString;
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
