using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using LoraPipeline.TestKit.Processes;
using LoraPipeline.Bench.Jobs;
using Npgsql;
using NpgsqlTypes;

namespace LoraPipeline.Bench.Costs;

/// <summary>
/// GET /api/costs for a user with a million cost records (over the last 400 days), over HTTP:
/// p50/p99 per period. The records and their daily roll-up are loaded with COPY in the shape the
/// projections write them. Baseline in the same run: what summing the records on each call would
/// cost (one SQL query over the year's records, no HTTP).
/// </summary>
public static class CostsBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var records = JobCreationBenchmark.Option(args, "--records", 1_000_000);
        var requests = JobCreationBenchmark.Option(args, "--requests", 300);
        var connectionString = Environment.GetEnvironmentVariable("LORA_BENCH_POSTGRES")
                               ?? throw new InvalidOperationException("LORA_BENCH_POSTGRES is not set: run ./bench.sh costs");

        await using var host = await HostProcess.StartAsync(connectionString, new Dictionary<string, string>());
        var key = await host.CreateUserAsync("bench-" + Guid.NewGuid().ToString("N")[..6]);
        using var client = host.ClientFor(key);
        var me = JsonNode.Parse(await client.GetStringAsync("/api/me"))!["data"]!["id"]!.GetValue<Guid>();
        await host.RunCommandAsync("db-apply"); // every table, before COPY writes into them

        await using var db = NpgsqlDataSource.Create(connectionString);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var seeded = Stopwatch.StartNew();
        await SeedAsync(db, host.Schema, me.ToString("D"), records, today);
        Console.Error.WriteLine($"seeded {records:N0} records in {seeded.Elapsed.TotalSeconds:0} s");

        var rows = new List<string>();
        foreach (var period in new[] { "year", "month", "week" })
        {
            var latencies = await MeasureAsync(client, $"/api/costs?period={period}", requests);
            var body = JsonNode.Parse(await client.GetStringAsync($"/api/costs?period={period}"))!["data"]!;
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| GET /api/costs?period={period} ({body["records_pagination"]!["total"]!.GetValue<long>():N0} records) | {requests} | {Stats.Percentile(latencies, 50):0.0} | {Stats.Percentile(latencies, 99):0.0} |"));
        }

        var naive = await MeasureNaiveAsync(db, host.Schema, me.ToString("D"), today.AddDays(-364), today, 10);
        rows.Add(string.Create(CultureInfo.InvariantCulture,
            $"| baseline: summing the year's records in SQL on each call (no HTTP) | 10 | {Stats.Percentile(naive, 50):0.0} | {Stats.Percentile(naive, 99):0.0} |"));

        Console.WriteLine();
        Console.WriteLine("| request | requests | p50 ms | p99 ms |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        rows.ForEach(Console.WriteLine);
        return 0;
    }

    private static async Task<List<double>> MeasureAsync(HttpClient client, string url, int requests)
    {
        for (var i = 0; i < 20; i++)
        {
            (await client.GetAsync(url)).EnsureSuccessStatusCode();
        }

        var latencies = new List<double>(requests);
        for (var i = 0; i < requests; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await client.GetAsync(url);
            await response.Content.ReadAsByteArrayAsync();
            response.EnsureSuccessStatusCode();
            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }

        latencies.Sort();
        return latencies;
    }

    private static async Task<List<double>> MeasureNaiveAsync(NpgsqlDataSource db, string schema, string tenant, DateOnly from, DateOnly to, int runs)
    {
        var latencies = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            await using var command = db.CreateCommand(
                $"select data->>'CostType', sum((data->>'Amount')::numeric), count(*) from \"{schema}\".mt_doc_costrecord where tenant_id = $1 and billing_period between $2 and $3 group by 1");
            command.Parameters.AddWithValue(tenant);
            command.Parameters.AddWithValue(from);
            command.Parameters.AddWithValue(to);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
            }

            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }

        latencies.Sort();
        return latencies;
    }

    /// <summary>COPY the records and the per-day roll-up, in Marten's document shape (PascalCase JSON, duplicated columns filled).</summary>
    private static async Task SeedAsync(NpgsqlDataSource db, string schema, string tenant, int count, DateOnly today)
    {
        // projected aggregates keep a numeric revision in mt_version, plain documents a Guid
        await using var versionType = db.CreateCommand(
            $"select data_type from information_schema.columns where table_schema = '{schema}' and table_name = 'mt_doc_dailycost' and column_name = 'mt_version'");
        var dailyVersionType = (string?)await versionType.ExecuteScalarAsync();
        var random = new Random(42);
        var days = new Dictionary<DateOnly, (decimal Total, decimal Compute, decimal Storage, long Records)>();
        await using (var connection = await db.OpenConnectionAsync())
        await using (var copy = await connection.BeginBinaryImportAsync(
                         $"copy \"{schema}\".mt_doc_costrecord (tenant_id, id, data, mt_last_modified, mt_dotnet_type, mt_version, billing_period, recorded_at, job_id) from stdin (format binary)"))
        {
            for (var i = 0; i < count; i++)
            {
                var day = today.AddDays(-random.Next(400));
                var at = new DateTimeOffset(day.ToDateTime(new TimeOnly(random.Next(24), random.Next(60))), TimeSpan.Zero);
                var storage = i % 10 == 0;
                var amount = storage ? 0.50m : Math.Round((decimal)(random.NextDouble() * 50), 2);
                var job = Guid.NewGuid();
                var data = JsonSerializer.Serialize(new
                {
                    Id = Guid.NewGuid(),
                    JobId = job,
                    ArtifactId = (Guid?)null,
                    CostType = storage ? "storage" : "training_compute",
                    Amount = amount,
                    Details = new Dictionary<string, object?> { ["gpu_type"] = "A100-80GB", ["gpu_count"] = 1, ["hourly_rate"] = 3.50m, ["duration_hours"] = 1.2m },
                    BillingPeriod = day,
                    RecordedAt = at,
                });
                await copy.StartRowAsync();
                await copy.WriteAsync(tenant);
                await copy.WriteAsync(JsonDocument.Parse(data).RootElement.GetProperty("Id").GetGuid());
                await copy.WriteAsync(data, NpgsqlDbType.Jsonb);
                await copy.WriteAsync(DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync("LoraPipeline.Billing.Costs.CostRecord");
                await copy.WriteAsync(Guid.NewGuid());
                await copy.WriteAsync(day);
                await copy.WriteAsync(at, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(job);
                var sum = days.GetValueOrDefault(day);
                days[day] = (sum.Total + amount, sum.Compute + (storage ? 0 : amount), sum.Storage + (storage ? amount : 0), sum.Records + 1);
            }

            await copy.CompleteAsync();
        }

        await using (var connection = await db.OpenConnectionAsync())
        await using (var copy = await connection.BeginBinaryImportAsync(
                         $"copy \"{schema}\".mt_doc_dailycost (tenant_id, id, data, mt_last_modified, mt_dotnet_type, mt_version, date) from stdin (format binary)"))
        {
            foreach (var (day, sum) in days)
            {
                var id = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                var data = JsonSerializer.Serialize(new
                {
                    Id = id,
                    Date = day,
                    Total = sum.Total,
                    ByType = new Dictionary<string, decimal> { ["training_compute"] = sum.Compute, ["storage"] = sum.Storage },
                    Records = sum.Records,
                });
                await copy.StartRowAsync();
                await copy.WriteAsync(tenant);
                await copy.WriteAsync(id);
                await copy.WriteAsync(data, NpgsqlDbType.Jsonb);
                await copy.WriteAsync(DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync("LoraPipeline.Billing.Costs.DailyCost");
                switch (dailyVersionType)
                {
                    case "bigint":
                        await copy.WriteAsync(1L, NpgsqlDbType.Bigint);
                        break;
                    case "integer":
                        await copy.WriteAsync(1, NpgsqlDbType.Integer);
                        break;
                    default:
                        await copy.WriteAsync(Guid.NewGuid());
                        break;
                }

                await copy.WriteAsync(day);
            }

            await copy.CompleteAsync();
        }

        await using var analyze = db.CreateCommand($"analyze \"{schema}\".mt_doc_costrecord; analyze \"{schema}\".mt_doc_dailycost");
        await analyze.ExecuteNonQueryAsync();
    }
}
