using LoraPipeline.GpuSimulator.Tests.Infrastructure;

namespace LoraPipeline.GpuSimulator.Tests;

/// <summary>
/// Validation loss exists only where there is something to validate on: the dataset's <c>"split": "validation"</c>
/// lines. With them it is reported as each epoch's validation ends, while the job still runs; without them never.
/// </summary>
public sealed class ValidationTests(PostgresSchemaFixture database) : IClassFixture<PostgresSchemaFixture>, IAsyncLifetime
{
    private SimulatorTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SimulatorTestHost.StartAsync(database);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_job_without_validation_examples_reports_no_validation_loss_and_spends_no_time_validating()
    {
        var jobId = Guid.NewGuid();
        var url = _host.PublishDataset($"no-validation-{jobId:N}.jsonl", TestData.Dataset(200, 0));
        var id = await _host.SubmitOkAsync(TestData.Submission(jobId, url, epochs: 3));

        var seen = await _host.AdvanceUntilAsync(id, s => s.IsTerminal, stepSimulatedSeconds: 5);

        var final = seen[^1];
        Assert.Equal("completed", final.Status);
        Assert.DoesNotContain(seen, s => s.Stage == "validating");
        Assert.All(seen, s => Assert.Null(s.Metrics?.ValidationLoss));
        var history = (await _host.StatusV2Async(id, 0)).MetricsHistory;
        Assert.Equal(150, history.Count);
        Assert.All(history, p => Assert.Null(p.ValidationLoss));
        Assert.All(final.Checkpoints, c => Assert.Null(c.ValidationLoss));
        // no 3 x 300 s of validation: start-up, ~150 steps x 0.6 s and the save, in simulated seconds
        var simulated = (final.CompletedAt!.Value - final.StartedAt!.Value).TotalSeconds * 40;
        Assert.InRange(simulated, 600 + 300, 600 + 300 + 150);
    }

    [Fact]
    public async Task A_job_with_validation_examples_reports_each_epochs_validation_loss_as_that_epoch_ends()
    {
        var jobId = Guid.NewGuid();
        var url = _host.PublishDataset($"validation-{jobId:N}.jsonl", TestData.Dataset(200, 20));
        var id = await _host.SubmitOkAsync(TestData.Submission(jobId, url, epochs: 3));

        // while the second epoch trains, the first epoch's validation loss is there, and only it
        var running = (await _host.AdvanceUntilAsync(id, s => s.Stage == "training" && s.CurrentEpoch == 2, stepSimulatedSeconds: 5))[^1];
        var sofar = (await _host.StatusV2Async(id, 0)).MetricsHistory.Where(p => p.ValidationLoss is not null).ToList();
        Assert.Equal([50], sofar.Select(p => p.Step));
        Assert.Equal(running.Metrics!.ValidationLoss, sofar[0].ValidationLoss);

        var final = (await _host.AdvanceUntilAsync(id, s => s.IsTerminal, stepSimulatedSeconds: 5))[^1];
        Assert.Equal("completed", final.Status);
        var validated = (await _host.StatusV2Async(id, 0)).MetricsHistory.Where(p => p.ValidationLoss is not null).ToList();
        Assert.Equal([50, 100, 150], validated.Select(p => p.Step));
        Assert.Equal([1, 2, 3], validated.Select(p => p.Epoch));
        // each reported when its epoch's validation ended, well before the job completed
        Assert.All(validated.SkipLast(1), p => Assert.True(p.Timestamp < final.CompletedAt));
    }
}
