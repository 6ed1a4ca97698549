using System.Net;
using System.Net.Http.Json;
using LoraPipeline.GpuSimulator.Tests.Infrastructure;

namespace LoraPipeline.GpuSimulator.Tests;

public sealed class CancelAndAuthTests(PostgresSchemaFixture database) : IClassFixture<PostgresSchemaFixture>, IAsyncLifetime
{
    private SimulatorTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SimulatorTestHost.StartAsync(database);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(HttpStatusCode Code, string Status)> CancelAsync(string id)
    {
        using var response = await _host.Client.PostAsync($"training/cancel/{id}", null);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (response.StatusCode, "");
        }

        return (response.StatusCode, (await response.Content.ReadFromJsonAsync<SubmitDto>(Json.Options))!.Status);
    }

    [Fact]
    public async Task Cancel_running_job_freezes_it_as_cancelled()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        _host.AdvanceSimulated(620);
        var before = await _host.StatusAsync(id);
        Assert.Equal("running", before.Status);

        Assert.Equal((HttpStatusCode.OK, "cancelled"), await CancelAsync(id));
        var cancelled = await _host.StatusAsync(id);
        _host.AdvanceSimulated(5000);
        var later = await _host.StatusAsync(id);

        Assert.Equal("cancelled", cancelled.Status);
        Assert.Equal("cancelled", cancelled.Stage);
        Assert.Equal(before.CurrentStep, cancelled.CurrentStep);
        Assert.NotNull(cancelled.CompletedAt);
        Assert.Equal(cancelled, later with { MetricsHistory = cancelled.MetricsHistory });
        Assert.Equal(cancelled.MetricsHistory, later.MetricsHistory);

        // idempotent; artifacts never appear
        Assert.Equal((HttpStatusCode.OK, "cancelled"), await CancelAsync(id));
        using var artifacts = await _host.Client.GetAsync($"training/artifacts/{id}");
        Assert.Equal(HttpStatusCode.Conflict, artifacts.StatusCode);
    }

    [Fact]
    public async Task Cancel_queued_job_works()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());

        Assert.Equal((HttpStatusCode.OK, "cancelled"), await CancelAsync(id));
        _host.AdvanceSimulated(10_000);

        var status = await _host.StatusAsync(id);
        Assert.Equal("cancelled", status.Status);
        Assert.Equal(0, status.CurrentStep);
        Assert.Null(status.StartedAt);
    }

    [Fact]
    public async Task Cancel_completed_job_answers_completed_and_changes_nothing()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        await _host.RunToEndAsync(id, 600);

        Assert.Equal((HttpStatusCode.OK, "completed"), await CancelAsync(id));

        Assert.Equal("completed", (await _host.StatusAsync(id)).Status);
        Assert.Null(await database.ScalarAsync<DateTime?>("select cancelled_at from {schema}.jobs where job_id = @id", ("id", jobId)));
    }

    [Fact]
    public async Task Cancel_unknown_job_answers_404()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await CancelAsync("sim-nope")).Code);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task Every_endpoint_requires_the_bearer_key(string? key)
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        using var client = _host.CreateClient(apiKey: key);

        var responses = new List<HttpResponseMessage>
        {
            await client.PostAsJsonAsync("training/submit", body, Json.Options),
            await client.GetAsync($"training/status/{id}"),
            await client.PostAsync($"training/cancel/{id}", null),
            await client.GetAsync($"training/artifacts/{id}"),
            await client.GetAsync($"training/artifacts/{id}/files/adapter_config.json"),
            await client.GetAsync("training/status/sim-unknown"),
        };

        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var error = await response.Content.ReadFromJsonAsync<ErrorDto>(Json.Options);
            Assert.False(string.IsNullOrEmpty(error!.Error));
            response.Dispose();
        }

        Assert.Equal("queued", (await _host.StatusAsync(id)).Status); // nothing was cancelled
    }

    [Fact]
    public async Task Health_needs_no_key()
    {
        using var client = _host.CreateClient(apiKey: null);
        using var response = await client.GetAsync("health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
