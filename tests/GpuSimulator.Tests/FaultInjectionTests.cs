using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using LoraPipeline.GpuSimulator.Tests.Infrastructure;

namespace LoraPipeline.GpuSimulator.Tests;

public sealed class FaultInjectionTests(PostgresSchemaFixture database) : IClassFixture<PostgresSchemaFixture>
{
    private Task<SimulatorTestHost> HostAsync(string key, string value) =>
        SimulatorTestHost.StartAsync(database, settings: new Dictionary<string, string?> { [$"Simulator:Faults:{key}"] = value });

    [Fact]
    public async Task SubmitFailureRate_answers_503_and_accepts_nothing()
    {
        await using var host = await HostAsync("SubmitFailureRate", "1");
        var (jobId, body) = TestData.StandardJob(host);

        using var response = await host.SubmitAsync(body, jobId.ToString());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.False(string.IsNullOrEmpty((await response.Content.ReadFromJsonAsync<ErrorDto>(Json.Options))!.Error));
        Assert.Equal(0, await database.ScalarAsync<long>("select count(*) from {schema}.jobs where job_id = @id", ("id", jobId)));
    }

    [Fact]
    public async Task SubmitDelay_delays_every_submit()
    {
        await using var host = await HostAsync("SubmitDelay", "00:00:00.400");
        var (jobId, body) = TestData.StandardJob(host);

        var watch = Stopwatch.StartNew();
        await host.SubmitOkAsync(body, jobId.ToString());
        var first = watch.Elapsed;
        watch.Restart();
        using var again = await host.SubmitAsync(body, jobId.ToString());
        var second = watch.Elapsed;

        Assert.True(first >= TimeSpan.FromMilliseconds(390), first.ToString());
        Assert.True(second >= TimeSpan.FromMilliseconds(390), second.ToString());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task StatusFailureRate_answers_500()
    {
        await using var host = await HostAsync("StatusFailureRate", "1");
        var (jobId, body) = TestData.StandardJob(host);
        var id = await host.SubmitOkAsync(body, jobId.ToString());

        using var response = await host.Client.GetAsync($"training/status/{id}");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.False(string.IsNullOrEmpty((await response.Content.ReadFromJsonAsync<ErrorDto>(Json.Options))!.Error));
    }

    [Fact]
    public async Task StatusTimeoutRate_hangs_until_the_client_gives_up()
    {
        await using var host = await HostAsync("StatusTimeoutRate", "1"); // default StatusTimeoutDelay: 30 s
        var (jobId, body) = TestData.StandardJob(host);
        var id = await host.SubmitOkAsync(body, jobId.ToString());
        using var impatient = host.CreateClient(timeout: TimeSpan.FromMilliseconds(300));

        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => impatient.GetAsync($"training/status/{id}"));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task StatusTimeoutRate_answers_504_after_the_configured_delay()
    {
        await using var host = await SimulatorTestHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            ["Simulator:Faults:StatusTimeoutRate"] = "1",
            ["Simulator:Faults:StatusTimeoutDelay"] = "00:00:00.300",
        });
        var (jobId, body) = TestData.StandardJob(host);
        var id = await host.SubmitOkAsync(body, jobId.ToString());

        var watch = Stopwatch.StartNew();
        using var response = await host.Client.GetAsync($"training/status/{id}");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(290));
    }

    [Fact]
    public async Task JobFailureRate_fails_the_job_mid_way_with_cuda_oom()
    {
        await using var host = await HostAsync("JobFailureRate", "1");
        var (jobId, body) = TestData.StandardJob(host);
        var id = await host.SubmitOkAsync(body, jobId.ToString());

        var seen = await host.RunToEndAsync(id, 5);
        var final = seen[^1];

        Assert.Equal("failed", final.Status);
        Assert.Equal("failed", final.Stage);
        Assert.Contains("running", seen.Select(s => s.Status));
        var match = Regex.Match(final.ErrorMessage!, @"^CUDA out of memory at step (\d+)");
        Assert.True(match.Success, final.ErrorMessage);
        var failStep = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(failStep, 150 * 0.3, 150 * 0.7 + 1);
        Assert.Equal(failStep - 1, final.CurrentStep);
        Assert.NotNull(final.CompletedAt);
        Assert.True(final.Progress < 100);

        var history = (await host.StatusAsync(id)).MetricsHistory;
        Assert.All(history, p => Assert.True(p.Step < failStep));

        using var artifacts = await host.Client.GetAsync($"training/artifacts/{id}");
        Assert.Equal(HttpStatusCode.Conflict, artifacts.StatusCode);
        using var cancel = await host.Client.PostAsync($"training/cancel/{id}", null);
        Assert.Equal("failed", (await cancel.Content.ReadFromJsonAsync<SubmitDto>(Json.Options))!.Status);
    }

    [Fact]
    public async Task JobFailureRate_is_a_per_job_decision_by_id()
    {
        await using var host = await HostAsync("JobFailureRate", "0.5");
        var failed = 0;
        for (var i = 0; i < 12; i++)
        {
            // fixed ids (this class's schema is fresh on every run): the outcome is the same on every run
            var jobId = Guid.Parse($"5e1f0a3c-0000-4000-8000-{i:D12}");
            var body = TestData.Submission(jobId, host.PublishDataset($"per-job-{i}.jsonl", TestData.Dataset(200, 20)));
            var id = await host.SubmitOkAsync(body, jobId.ToString());
            host.AdvanceSimulated(3000);
            if ((await host.StatusAsync(id)).Status == "failed")
            {
                failed++;
            }
        }

        // 12 jobs at 50%: all-or-nothing would mean the decision is not per job
        Assert.InRange(failed, 1, 11);
    }

    [Fact]
    public async Task LostJobRate_forgets_the_job_once_it_runs()
    {
        await using var host = await HostAsync("LostJobRate", "1");
        var (jobId, body) = TestData.StandardJob(host);
        var id = await host.SubmitOkAsync(body, jobId.ToString());

        Assert.Equal("queued", (await host.StatusAsync(id)).Status);
        host.AdvanceSimulated(300);
        Assert.Equal("initializing", (await host.StatusAsync(id)).Status);

        host.AdvanceSimulated(400); // past 605 s: running
        using var lost = await host.Client.GetAsync($"training/status/{id}");
        Assert.Equal(HttpStatusCode.NotFound, lost.StatusCode);
        Assert.Equal("job not found", (await lost.Content.ReadFromJsonAsync<ErrorDto>(Json.Options))!.Error);

        host.AdvanceSimulated(100_000);
        using var stillLost = await host.Client.GetAsync($"training/status/{id}");
        Assert.Equal(HttpStatusCode.NotFound, stillLost.StatusCode);
        using var cancel = await host.Client.PostAsync($"training/cancel/{id}", null);
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
    }

    [Fact]
    public async Task ArtifactFailureRate_answers_503_for_file_downloads()
    {
        await using var host = await HostAsync("ArtifactFailureRate", "1");
        var (jobId, body) = TestData.StandardJob(host);
        var id = await host.SubmitOkAsync(body, jobId.ToString());
        await host.RunToEndAsync(id, 3600);

        using var listing = await host.Client.GetAsync($"training/artifacts/{id}");
        Assert.Equal(HttpStatusCode.OK, listing.StatusCode);

        using var file = await host.Client.GetAsync($"training/artifacts/{id}/files/adapter_config.json");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, file.StatusCode);
    }

    [Fact]
    public async Task Unreachable_database_answers_503_json()
    {
        await using var host = await SimulatorTestHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            ["Simulator:ConnectionString"] = "Host=127.0.0.1;Port=1;Username=postgres;Timeout=3",
        });

        using var response = await host.Client.GetAsync("training/status/sim-anything");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("database", (await response.Content.ReadFromJsonAsync<ErrorDto>(Json.Options))!.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gpu_throughput_table_is_configurable()
    {
        await using var host = await SimulatorTestHost.StartAsync(database, settings: new Dictionary<string, string?>
        {
            ["Simulator:GpuThroughput:L40S"] = "1000",
            ["Simulator:GpuThroughput:H100"] = "3000",
        });
        var jobId = Guid.NewGuid();
        var url = host.PublishDataset($"l40s-{jobId:N}.jsonl", TestData.Dataset(200, 20));
        var id = await host.SubmitOkAsync(TestData.Submission(jobId, url, gpuType: "L40S", numGpus: 2));
        var h100 = Guid.NewGuid();
        var h100Id = await host.SubmitOkAsync(TestData.Submission(h100, url, gpuType: "H100"));

        host.AdvanceSimulated(700);

        Assert.InRange((await host.StatusAsync(id)).Metrics!.Throughput, 2000 * 0.95, 2000 * 1.05);
        Assert.InRange((await host.StatusAsync(h100Id)).Metrics!.Throughput, 3000 * 0.95, 3000 * 1.05);
    }

    [Fact]
    public async Task Faults_are_off_by_default()
    {
        await using var host = await SimulatorTestHost.StartAsync(database);
        var (jobId, body) = TestData.StandardJob(host);
        var id = await host.SubmitOkAsync(body, jobId.ToString());

        var final = (await host.RunToEndAsync(id, 3600))[^1];

        Assert.Equal("completed", final.Status);
        using var file = await host.Client.GetAsync($"training/artifacts/{id}/files/adapter_config.json");
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
    }
}
