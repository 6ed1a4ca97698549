using System.Net;
using System.Net.Http.Headers;
using LoraPipeline.GpuSimulator.Artifacts;
using LoraPipeline.GpuSimulator.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LoraPipeline.GpuSimulator.Tests;

public sealed class StandaloneTests(PostgresSchemaFixture database) : IClassFixture<PostgresSchemaFixture>
{
    [Fact]
    public async Task Standalone_serves_the_contract_at_the_root()
    {
        await using var app = GpuSimulatorRegistration.BuildStandalone(
        [
            "--Simulator:Url=http://127.0.0.1:0",
            $"--Simulator:ConnectionString={database.ConnectionString}",
            $"--Simulator:Schema={database.Schema}",
            "--Simulator:ApiKey=standalone-key",
        ], builder => builder.Logging.ClearProviders());
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        using var health = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        using var anonymous = await client.GetAsync("/training/status/sim-x");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "standalone-key");
        using var missing = await client.GetAsync("/training/status/sim-x");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        await app.StopAsync();
    }

    [Fact]
    public async Task Missing_connection_string_fails_at_start()
    {
        await using var app = GpuSimulatorRegistration.BuildStandalone(["--Simulator:Url=http://127.0.0.1:0"], builder =>
        {
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<TimeProvider>(new ManualClock());
        });

        var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        Assert.Contains("ConnectionString", error.Message, StringComparison.Ordinal);
    }
}

public sealed class SimulationUnitTests
{
    private static JobRecord Job(int train = 1000, int batch = 8, int epochs = 3, long bytes = 2_000_000, string gpu = "A100-80GB",
        double throughput = 1800, int gpus = 1, int? failAt = null, string model = "mistralai/Mistral-7B-v0.1", int rank = 16) => new()
        {
            ExternalJobId = "sim-x",
            JobId = Guid.Parse("0b5f1c62-9a1e-4a43-a3a5-9e5b8d1f2c33"),
            IdempotencyKey = "k",
            SubmittedAt = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero),
            DatasetUrl = "http://x/files/a",
            Hyperparameters = new Hyperparameters
            {
                BaseModel = model,
                LearningRate = 2e-4,
                BatchSize = batch,
                NumEpochs = epochs,
                LoraRank = rank,
                LoraAlpha = 32,
                LoraDropout = 0.05,
            },
            GpuConfig = new GpuConfig { GpuType = gpu, NumGpus = gpus, GpuMemoryGb = 80, CostPerGpuHour = 3.5 },
            TrainExamples = train,
            ValidationExamples = 100, // the expectations below count each epoch's validation
            DatasetBytes = bytes,
            TimeScale = 40,
            GpuThroughput = throughput,
            FailAtStep = failAt,
        };

    [Fact]
    public void Steps_and_durations_follow_the_estimate_formula()
    {
        var simulation = new JobSimulation(Job(train: 1000, batch: 8, epochs: 3, bytes: 2_000_000, throughput: 1800, gpus: 2));

        Assert.Equal(125, simulation.StepsPerEpoch);
        Assert.Equal(375, simulation.TotalSteps);
        Assert.Equal(1, simulation.LogEvery);
        // tokens 500k / 1000 examples * 8 = 4000 tokens per step at 3600 tokens/s
        Assert.Equal(4000.0 / 3600, simulation.SecondsPerStep, 10);
        Assert.Equal(5 + 600 + (3 * ((125 * 4000.0 / 3600) + 300)) + 300, simulation.CompletionTime, 6);
    }

    [Fact]
    public void Logged_steps_are_every_log_every_plus_epoch_ends()
    {
        var simulation = new JobSimulation(Job(train: 1001, batch: 2, epochs: 2)); // 501 per epoch, 1002 total, log every 5

        var steps = simulation.LoggedSteps(0).ToList();

        Assert.Equal(5, simulation.LogEvery);
        Assert.Contains(501, steps);
        Assert.Contains(1002, steps);
        Assert.Equal(steps.Order(), steps);
        Assert.Equal(steps.Distinct().Count(), steps.Count);
        Assert.Equal((1002 / 5) + 2, steps.Count);
        Assert.Equal(steps.Where(s => s > 600), simulation.LoggedSteps(600));
    }

    [Fact]
    public void History_is_capped_at_500_points()
    {
        var simulation = new JobSimulation(Job(train: 10, batch: 1, epochs: 1000)); // 10000 steps, log every 50, 1000 epoch ends
        var completed = simulation.EndState();

        var status = StatusBuilder.Build(Job(train: 10, batch: 1, epochs: 1000), DateTimeOffset.MaxValue.AddYears(-1), 0)!;

        Assert.True(simulation.History(completed, 0).Count() > 500);
        Assert.Equal(500, status.MetricsHistory.Count);
        Assert.Equal(simulation.History(completed, 0).Take(500).Select(p => p.Step), status.MetricsHistory.Select(p => p.Step));
    }

    [Fact]
    public void Metrics_are_a_pure_function_of_job_and_step()
    {
        var a = new JobSimulation(Job());
        var b = new JobSimulation(Job());

        for (var step = 1; step <= a.TotalSteps; step += 7)
        {
            Assert.Equal(a.PointAt(step, true), b.PointAt(step, true));
        }

        var other = new JobSimulation(Job() with { JobId = Guid.NewGuid() });
        Assert.NotEqual(a.PointAt(10, false).TrainingLoss, other.PointAt(10, false).TrainingLoss);
    }

    [Theory]
    [InlineData(1e-5, 4, 1)]
    [InlineData(2e-4, 64, 5)]
    [InlineData(3e-3, 8, 3)]
    [InlineData(2e-4, 256, 10)]
    public void Loss_floor_stays_plausible(double learningRate, int rank, int epochs)
    {
        var job = Job(epochs: epochs, rank: rank) with { Hyperparameters = Job().Hyperparameters with { LearningRate = learningRate, LoraRank = rank, NumEpochs = epochs } };
        var simulation = new JobSimulation(job);

        Assert.InRange(simulation.LossFloorValue, 0.35, 1.2);
        Assert.InRange(simulation.TrainingLoss(1), 2.2 * 0.97, 2.8 * 1.03);
    }

    [Fact]
    public void Failure_step_is_deterministic_and_mid_way()
    {
        var id = Guid.NewGuid();

        var first = JobSimulation.ChooseFailureStep(id, 1, 1000);
        var second = JobSimulation.ChooseFailureStep(id, 1, 1000);

        Assert.Equal(first, second);
        Assert.InRange(first!.Value, 300, 701);
        Assert.Null(JobSimulation.ChooseFailureStep(id, 0, 1000));
        Assert.False(JobSimulation.ChooseLost(id, 0));
        Assert.True(JobSimulation.ChooseLost(id, 1));
    }

    [Fact]
    public async Task Safetensors_stream_reads_the_same_bytes_at_any_position()
    {
        var architecture = ModelArchitectures.Find("TinyLlama/TinyLlama-1.1B-Chat-v1.0")!;
        var adapter = SafetensorsAdapter.Create(architecture, 4, Guid.NewGuid());
        await using var whole = adapter.OpenRead();
        var all = new byte[whole.Length];
        await whole.ReadExactlyAsync(all);

        await using var partial = adapter.OpenRead();
        foreach (var (offset, count) in new[] { (0L, 3), (5L, 17), (adapter.Prefix.Length - 3L, 11), (123_457L, 9999), (all.Length - 7L, 7) })
        {
            partial.Position = offset;
            var chunk = new byte[count];
            await partial.ReadExactlyAsync(chunk);
            Assert.Equal(all.AsSpan((int)offset, count).ToArray(), chunk);
        }

        Assert.Equal(22L * ((2048 * 4) + (2048 * 4) + (2 * ((2048 * 4) + (256 * 4))) + (2048 * 4) + (2048 * 4)) * 2, all.Length - adapter.Prefix.Length);
    }

    [Theory]
    [InlineData("/gpu-sim", "/gpu-sim")]
    [InlineData("gpu-sim/", "/gpu-sim")]
    [InlineData("/", "")]
    [InlineData("", "")]
    public void Prefix_is_normalised(string given, string expected) =>
        Assert.Equal(expected, GpuSimulatorRegistration.NormalizePrefix(given));
}
