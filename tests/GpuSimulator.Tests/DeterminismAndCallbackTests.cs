using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LoraPipeline.GpuSimulator.Tests.Infrastructure;

namespace LoraPipeline.GpuSimulator.Tests;

public sealed class DeterminismAndCallbackTests(PostgresSchemaFixture database) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Two_simulators_on_one_database_answer_identically()
    {
        var start = new DateTimeOffset(2031, 3, 1, 12, 0, 0, TimeSpan.Zero);
        await using var a = await SimulatorTestHost.StartAsync(database, new ManualClock(start));
        await using var b = await SimulatorTestHost.StartAsync(database, new ManualClock(start));
        var (jobId, body) = TestData.StandardJob(a);
        var id = await a.SubmitOkAsync(body, jobId.ToString());

        // B accepts the same submission as a duplicate
        using var duplicate = await b.SubmitAsync(body, jobId.ToString());
        Assert.Equal(id, (await duplicate.Content.ReadFromJsonAsync<SubmitDto>(Json.Options))!.ExternalJobId);

        foreach (var simulated in new[] { 0.0, 3, 100, 610, 640, 700, 950, 1400, 1700, 2500 })
        {
            a.Clock.Set(start);
            b.Clock.Set(start);
            a.AdvanceSimulated(simulated);
            b.AdvanceSimulated(simulated);

            var fromA = await a.StatusJsonAsync(id);
            var fromB = await b.StatusJsonAsync(id);
            Assert.Equal(fromA, fromB);
            Assert.Equal(fromA, await a.StatusJsonAsync(id)); // recomputation is stable too
            Assert.Equal(await a.StatusJsonAsync(id, 20), await b.StatusJsonAsync(id, 20));
        }

        var listingA = await a.Client.GetFromJsonAsync<ArtifactsDto>($"training/artifacts/{id}", Json.Options);
        var listingB = await b.Client.GetFromJsonAsync<ArtifactsDto>($"training/artifacts/{id}", Json.Options);
        Assert.Equal(listingA!.Files.Select(f => (f.Name, f.Size, f.Sha256)), listingB!.Files.Select(f => (f.Name, f.Size, f.Sha256)));
    }

    [Fact]
    public async Task Restarted_simulator_continues_the_same_job()
    {
        var clock = new ManualClock(new DateTimeOffset(2031, 4, 1, 8, 0, 0, TimeSpan.Zero));
        string id;
        string before;
        await using (var first = await SimulatorTestHost.StartAsync(database, clock))
        {
            var (jobId, body) = TestData.StandardJob(first);
            id = await first.SubmitOkAsync(body, jobId.ToString());
            first.AdvanceSimulated(800);
            before = await first.StatusJsonAsync(id);
        }

        await using var second = await SimulatorTestHost.StartAsync(database, clock);
        Assert.Equal(before, await second.StatusJsonAsync(id));
        var final = (await second.RunToEndAsync(id, 3600))[^1];
        Assert.Equal("completed", final.Status);
    }

    [Fact]
    public async Task Callbacks_push_signed_status_until_the_terminal_state()
    {
        await using var host = await SimulatorTestHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            ["Simulator:CallbackInterval"] = "00:00:00.050",
        });
        var (jobId, body) = TestData.StandardJob(host, callbackUrl: null);
        var callbackName = $"cb-{jobId:N}";
        body = TestData.Submission(jobId, host.PublishDataset($"cb-{jobId:N}.jsonl", TestData.Dataset(200, 20)),
            callbackUrl: $"{host.BaseUrl}/callbacks/{callbackName}");
        var id = await host.SubmitOkAsync(body, jobId.ToString());

        var first = await host.Callbacks.WaitForAsync(c => c.Name == callbackName, TimeSpan.FromSeconds(20));
        AssertSigned(first);
        using (var document = JsonDocument.Parse(first.Body))
        {
            Assert.Equal(id, document.RootElement.GetProperty("external_job_id").GetString());
            Assert.Equal("queued", document.RootElement.GetProperty("status").GetString());
        }

        host.AdvanceSimulated(10_000);
        var last = await host.Callbacks.WaitForAsync(
            c => c.Name == callbackName && c.Body.Contains("\"status\":\"completed\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20));
        AssertSigned(last);
        var status = JsonSerializer.Deserialize<StatusDto>(last.Body, Json.Options)!;
        Assert.Equal(150, status.CurrentStep);
        Assert.Equal(100, status.Progress);
        Assert.Equal(150, status.MetricsHistory[^1].Step);
        Assert.Equal(long.Parse(last.Timestamp, System.Globalization.CultureInfo.InvariantCulture), host.Clock.GetUtcNow().ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Jobs_accepted_together_push_on_their_own_phases_not_in_one_wave()
    {
        // pushes are looked for every 200 ms of a 4 s interval: in one wave, all eight first pushes
        // would land in one or two of those turns
        await using var host = await SimulatorTestHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            ["Simulator:CallbackInterval"] = "00:00:04",
        });
        var dataset = host.PublishDataset("phases.jsonl", TestData.Dataset(40, 8));
        var names = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            var jobId = Guid.NewGuid();
            names.Add($"phase-{jobId:N}");
            await host.SubmitOkAsync(TestData.Submission(jobId, dataset, callbackUrl: $"{host.BaseUrl}/callbacks/{names[^1]}"), jobId.ToString());
        }

        var firsts = new List<DateTimeOffset>();
        foreach (var name in names)
        {
            firsts.Add((await host.Callbacks.WaitForAsync(c => c.Name == name, TimeSpan.FromSeconds(15))).ReceivedAt);
        }

        firsts.Sort();
        var separateMoments = 1 + firsts.Zip(firsts.Skip(1), (a, b) => b - a).Count(gap => gap > TimeSpan.FromMilliseconds(100));
        Assert.True(separateMoments >= 3, $"the first pushes of 8 jobs came at {separateMoments} separate moments: " +
            string.Join(", ", firsts.Select(f => (f - firsts[0]).TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture) + " ms")));
    }

    /// <summary>Contract v2: <c>v2=hex(HMAC-SHA256(secret, "{timestamp}.POST.{path}.{body}"))</c>, path of the callback URL.</summary>
    internal static void AssertSigned(ReceivedCallback callback)
    {
        var expected = "v2=" + Convert.ToHexStringLower(HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(SimulatorTestHost.CallbackSecret),
            Encoding.UTF8.GetBytes($"{callback.Timestamp}.POST./callbacks/{callback.Name}.{callback.Body}")));
        Assert.Equal(expected, callback.Signature);
    }
}
