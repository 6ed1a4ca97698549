using System.Net;
using System.Text.Json;
using LoraPipeline.GpuSimulator.Tests.Infrastructure;

namespace LoraPipeline.GpuSimulator.Tests;

public sealed class ProgressionTests(PostgresSchemaFixture database) : IClassFixture<PostgresSchemaFixture>, IAsyncLifetime
{
    private SimulatorTestHost _host = null!;

    public async Task InitializeAsync() => _host = await SimulatorTestHost.StartAsync(database);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Status_moves_through_every_stage_in_order_to_completed()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());

        // 5 simulated seconds per poll: short enough to see every stage of this job (an epoch trains ~30 s)
        var seen = await _host.RunToEndAsync(id, stepSimulatedSeconds: 5);

        var stages = seen.Select(s => s.Stage).Distinct().ToList();
        Assert.Equal(["queued", "initializing", "loading_model", "training", "validating", "saving", "completed"], stages);
        var statuses = seen.Select(s => s.Status).Distinct().ToList();
        Assert.Equal(["queued", "initializing", "running", "completed"], statuses);

        var final = seen[^1];
        Assert.Equal(150, final.TotalSteps); // ceil(200 / 4) * 3
        Assert.Equal(150, final.CurrentStep);
        Assert.Equal(3, final.CurrentEpoch);
        Assert.Equal(100, final.Progress);
        Assert.NotNull(final.StartedAt);
        Assert.NotNull(final.CompletedAt);
        Assert.True(final.CompletedAt > final.StartedAt);

        // progress and steps never go backwards; epochs are 0 before training
        for (var i = 1; i < seen.Count; i++)
        {
            Assert.True(seen[i].Progress >= seen[i - 1].Progress);
            Assert.True(seen[i].CurrentStep >= seen[i - 1].CurrentStep);
        }

        Assert.All(seen.Where(s => s.Status is "queued" or "initializing"), s =>
        {
            Assert.Equal(0, s.CurrentEpoch);
            Assert.Equal(0, s.CurrentStep);
            Assert.Null(s.Metrics);
        });
        Assert.All(seen.Where(s => s.Stage == "validating"), s => Assert.Equal(0, s.CurrentStep % 50));
    }

    [Fact]
    public async Task Default_time_scale_finishes_a_small_job_in_about_a_minute_of_real_time()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        var submittedAt = _host.Clock.GetUtcNow();

        var final = (await _host.RunToEndAsync(id, stepSimulatedSeconds: 20))[^1];

        // 5 s queue + 600 s init + 3 x (50 steps x ~0.6 s + 300 s validation) + 300 s saving ~ 1900 s / 40 ~ 48 s
        var realDuration = final.CompletedAt!.Value - submittedAt;
        Assert.InRange(realDuration.TotalSeconds, 40, 60);
    }

    [Fact]
    public async Task Loss_falls_and_validation_loss_appears_at_epoch_ends()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        await _host.RunToEndAsync(id, stepSimulatedSeconds: 600);

        var status = await _host.StatusAsync(id);
        var history = status.MetricsHistory;

        Assert.Equal(Enumerable.Range(1, 150), history.Select(p => p.Step)); // log_every = max(1, 150 / 200) = 1
        Assert.InRange(history[0].TrainingLoss, 2.2 * 0.96, 2.8 * 1.04);
        Assert.InRange(history[^1].TrainingLoss, 0.3, 1.25);
        Assert.True(history.Take(10).Average(p => p.TrainingLoss) > history.TakeLast(10).Average(p => p.TrainingLoss) + 0.8);

        var withValidation = history.Where(p => p.ValidationLoss is not null).ToList();
        Assert.Equal([50, 100, 150], withValidation.Select(p => p.Step));
        Assert.All(withValidation, p => Assert.True(p.ValidationLoss > p.TrainingLoss * 0.95));
        Assert.Equal([1, 2, 3], withValidation.Select(p => p.Epoch));

        // plausible metrics
        Assert.All(history, p =>
        {
            Assert.InRange(p.Throughput, 1800 * 0.95, 1800 * 1.05);
            Assert.InRange(p.GpuUtilization, 85, 98);
            Assert.InRange(p.GradientNorm, 0.25, 1.7);
            Assert.InRange(p.LearningRate, 0, 2e-4);
        });
        Assert.True(history[0].GradientNorm > history[^1].GradientNorm);
        Assert.Equal(0, history[^1].LearningRate, 12); // cosine decay ends at 0
        Assert.True(history.Zip(history.Skip(1)).All(pair => pair.First.Timestamp <= pair.Second.Timestamp));

        Assert.NotNull(status.Metrics);
        Assert.Equal(150, status.Metrics!.Step);
        Assert.Equal(history[^1].ValidationLoss, status.Metrics.ValidationLoss);
    }

    [Fact]
    public async Task Many_epochs_show_overfitting_in_validation_loss()
    {
        var jobId = Guid.NewGuid();
        var url = _host.PublishDataset($"long-{jobId:N}.jsonl", TestData.Dataset(40, 4, 400));
        var id = await _host.SubmitOkAsync(TestData.Submission(jobId, url, batchSize: 4, epochs: 10));
        await _host.RunToEndAsync(id, stepSimulatedSeconds: 3600);

        var validation = (await _host.StatusAsync(id)).MetricsHistory
            .Where(p => p.ValidationLoss is not null).Select(p => p.ValidationLoss!.Value).ToList();

        Assert.Equal(10, validation.Count);
        // falls at first, then rises again at the end
        Assert.True(validation[1] < validation[0], string.Join(", ", validation));
        Assert.True(validation[^1] > validation.Min() + 0.03, string.Join(", ", validation));
    }

    [Fact]
    public async Task Warmup_ramps_the_learning_rate_up_first()
    {
        var jobId = Guid.NewGuid();
        var url = _host.PublishDataset($"warm-{jobId:N}.jsonl", TestData.Dataset(200, 0, 500));
        var id = await _host.SubmitOkAsync(TestData.Submission(jobId, url, warmupSteps: 20, learningRate: 1e-4));
        await _host.RunToEndAsync(id, stepSimulatedSeconds: 3600);

        var history = (await _host.StatusAsync(id)).MetricsHistory;

        Assert.Equal(1e-4 * 10 / 20, history.Single(p => p.Step == 10).LearningRate, 10);
        Assert.Equal(1e-4, history.Single(p => p.Step == 20).LearningRate, 10);
        Assert.True(history.Single(p => p.Step == 100).LearningRate < 1e-4);
    }

    [Fact]
    public async Task Metrics_history_honours_since_step_and_only_shows_reached_steps()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());

        // into the middle of epoch 2's training: 605 s + 1 epoch span (~330 s) + a few steps
        _host.AdvanceSimulated(605 + 331 + 10);
        var mid = await _host.StatusAsync(id);
        Assert.Equal("training", mid.Stage);
        Assert.Equal(2, mid.CurrentEpoch);
        Assert.All(mid.MetricsHistory, p => Assert.True(p.Step <= mid.CurrentStep));
        Assert.Equal(mid.CurrentStep, mid.MetricsHistory[^1].Step);
        Assert.Equal(mid.CurrentStep, mid.Metrics!.Step);
        Assert.NotNull(mid.Metrics.ValidationLoss); // latest evaluation (epoch 1)

        var since = await _host.StatusAsync(id, sinceStep: 40);
        Assert.Equal(mid.MetricsHistory.Where(p => p.Step > 40), since.MetricsHistory);

        var none = await _host.StatusAsync(id, sinceStep: mid.CurrentStep);
        Assert.Empty(none.MetricsHistory);
    }

    [Fact]
    public async Task Epoch_end_point_appears_when_its_validation_is_done()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());

        // end of epoch 1 training is at ~605 + 30.6 s; validation lasts 300 s
        _host.AdvanceSimulated(605 + 31 + 100);
        var validating = await _host.StatusAsync(id);
        Assert.Equal("validating", validating.Stage);
        Assert.Equal(50, validating.CurrentStep);
        Assert.Equal(49, validating.MetricsHistory[^1].Step);

        // epoch 2 trains from ~935.6 s to ~966.1 s
        _host.AdvanceSimulated(209);
        var after = await _host.StatusAsync(id);
        Assert.Equal("training", after.Stage);
        var point = after.MetricsHistory.Single(p => p.Step == 50);
        Assert.NotNull(point.ValidationLoss);
    }

    [Fact]
    public async Task Status_uses_snake_case_names_and_404_for_unknown_jobs()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        _host.AdvanceSimulated(700);

        using var document = JsonDocument.Parse(await _host.StatusJsonAsync(id));
        var root = document.RootElement;
        foreach (var name in new[] { "external_job_id", "status", "stage", "progress", "current_epoch", "total_epochs", "current_step", "total_steps", "started_at", "metrics", "metrics_history" })
        {
            Assert.True(root.TryGetProperty(name, out _), name);
        }

        var metrics = root.GetProperty("metrics");
        foreach (var name in new[] { "step", "epoch", "training_loss", "learning_rate", "gradient_norm", "throughput", "gpu_utilization", "timestamp" })
        {
            Assert.True(metrics.TryGetProperty(name, out _), name);
        }

        Assert.False(root.TryGetProperty("completed_at", out _));

        using var missing = await _host.Client.GetAsync("training/status/sim-unknown");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("job not found", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Progress_has_at_most_two_decimals()
    {
        var (jobId, body) = TestData.StandardJob(_host);
        var id = await _host.SubmitOkAsync(body, jobId.ToString());
        _host.AdvanceSimulated(777.7);

        var status = await _host.StatusAsync(id);

        Assert.InRange(status.Progress, 0.01, 99.99);
        Assert.Equal(Math.Round(status.Progress, 2), status.Progress);
    }
}
