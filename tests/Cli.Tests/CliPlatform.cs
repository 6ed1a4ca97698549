using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LoraPipeline.TestKit;
using LoraPipeline.TestKit.Processes;

namespace LoraPipeline.Cli.Tests;

/// <summary>
/// The real Host as a process (TestKit's HostProcess: its own schemas, blob folder and free port)
/// with the simulator fast enough that a one-epoch job runs in a few seconds, and two users. Shared
/// by the tests of the "cli" collection, which run one after another.
/// </summary>
public sealed class CliPlatform : IAsyncLifetime
{
    private readonly Lazy<Task<TrainedModel>> _model;
    private HostProcess? _host;

    public CliPlatform() => _model = new Lazy<Task<TrainedModel>>(TrainModelAsync);

    public HostProcess Host => _host ?? throw new InvalidOperationException("The Host has not started.");

    public string Url => Host.Url;

    public string AliceKey { get; private set; } = "";

    public string BobKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _host = await HostProcess.StartAsync(await TestDatabase.ConnectionStringAsync(), new Dictionary<string, string>
        {
            // a 1-epoch job lasts about 4 s of real time, with a status push every 0.3 s and a poll every 0.5 s
            ["Simulator:TimeScale"] = "300",
            ["Simulator:CallbackInterval"] = "00:00:00.300",
            ["GpuCluster:PollInterval"] = "00:00:00.500",
            ["Messaging:ScheduledPollingInterval"] = "00:00:00.200",
            ["Training:StreamCheckInterval"] = "00:00:00.250",
            ["Artifacts:RetryDelay"] = "00:00:00.500",
        });
        // each is a run of the Host's command line (a process start), one after the other: two at once failed now
        // and then in the full suite (exit 1, nothing on stderr) while both hosts checked the schema at start
        AliceKey = await Host.CreateUserAsync("alice-" + Guid.NewGuid().ToString("N")[..6]);
        BobKey = await Host.CreateUserAsync("bob-" + Guid.NewGuid().ToString("N")[..6]);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    /// <summary>A user of the CLI who is signed in as alice through the environment (no login step needed).</summary>
    public CliUser Alice()
    {
        var user = new CliUser("alice");
        user.Environment["LORA_URL"] = Url;
        user.Environment["LORA_API_KEY"] = AliceKey;
        return user;
    }

    public CliUser Bob()
    {
        var user = new CliUser("bob");
        user.Environment["LORA_URL"] = Url;
        user.Environment["LORA_API_KEY"] = BobKey;
        return user;
    }

    /// <summary>One completed job of alice's with its stored model, made over HTTP (shared by the tests that only need a model).</summary>
    public Task<TrainedModel> ModelAsync() => _model.Value;

    private async Task<TrainedModel> TrainModelAsync()
    {
        using var client = Host.ClientFor(AliceKey);
        var dataset = await HostProcess.ReadyDatasetAsync(client, 20);
        var created = await client.PostAsJsonAsync("/api/jobs", new
        {
            dataset_id = dataset, preset_id = "fast", gpu_config = new { type = "H100", count = 1 }, hyperparameters = new { epochs = 1 },
        });
        created.EnsureSuccessStatusCode();
        var jobId = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["data"]!["id"]!.GetValue<Guid>();
        Guid? modelId = null;
        await HostProcess.UntilAsync(async () =>
        {
            var job = JsonNode.Parse(await client.GetStringAsync($"/api/jobs/{jobId}"))!["data"]!["job"]!;
            Assert.NotEqual("failed", job["status"]!.GetValue<string>());
            if (job["artifact_id"]?.GetValue<Guid>() is not { } id)
            {
                return false;
            }

            var model = JsonNode.Parse(await client.GetStringAsync($"/api/models/{id}"))!["data"]!;
            modelId = id;
            return model["status"]!.GetValue<string>() == "stored";
        }, TimeSpan.FromMinutes(2), "alice's model is stored");
        return new TrainedModel(dataset, jobId, modelId!.Value);
    }
}

public sealed record TrainedModel(Guid DatasetId, Guid JobId, Guid ModelId);

[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliPlatform>
{
    public const string Name = "cli";
}
