using System.Text.Json.Nodes;
using Alba;
using LoraPipeline.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace LoraPipeline.SlurmGateway.Tests;

/// <summary>
/// The platform (GpuCluster:Mode = External, real clock, polls every second) pointed at a Slurm gateway on its own
/// Kestrel port, which submits to the real local Slurm, where the real trainer trains the tiny model on CPU. The
/// gateway's own calls to the platform (the dataset's signed link, callbacks) go through the in-memory test server.
/// </summary>
public class SlurmPlatform : PlatformHost
{
    public const string TinyModelName = "lora-pipeline/tiny-llama";
    public const string BrokenModelName = "lora-pipeline/broken";
    public const string ClusterKey = "slurm-test-cluster-key-0123456789";
    public const string CallbackSecret = "slurm-test-callback-secret-0123456789";
    private WebApplication? _gateway;
    private HttpMessageHandler? _platformHandler;

    public string GatewayUrl { get; private set; } = "";

    public string JobRoot { get; } = Path.Combine(SlurmCluster.RepositoryRoot, ".data/slurm/test-jobs", Guid.NewGuid().ToString("N")[..12]);

    public IServiceProvider GatewayServices => _gateway!.Services;

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["GpuCluster:Mode"] = "External";
        settings["GpuCluster:BaseUrl"] = GatewayUrl + "/";
        settings["GpuCluster:ApiKey"] = ClusterKey;
        settings["GpuCluster:CallbackSecret"] = CallbackSecret;
        settings["GpuCluster:UseCallbacks"] = "true";
        settings["GpuCluster:PollInterval"] = "00:00:01";
        settings["GpuCluster:RequestTimeout"] = "00:00:30";
        settings["Training:BaseModels:0"] = TinyModelName;
        settings["Training:BaseModels:1"] = BrokenModelName;
    }

    protected override async Task BeforeStartAsync()
    {
        _gateway = StartGateway();
        await _gateway.StartAsync();
        GatewayUrl = _gateway.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    /// <summary>A gateway on the same job folders (a second one stands for a restarted gateway).</summary>
    public WebApplication StartGateway(string url = "http://127.0.0.1:0")
    {
        var slurm = SlurmCluster.Current;
        var settings = new Dictionary<string, string?>
        {
            ["SlurmGateway:ApiKey"] = ClusterKey,
            ["SlurmGateway:CallbackSecret"] = CallbackSecret,
            ["SlurmGateway:SlurmRestUrl"] = slurm.RestUrl,
            ["SlurmGateway:SlurmUser"] = slurm.User,
            ["SlurmGateway:SlurmTokenFile"] = slurm.TokenFile,
            ["SlurmGateway:Partition"] = "debug",
            ["SlurmGateway:JobRoot"] = JobRoot,
            ["SlurmGateway:TrainerCommand:0"] = "/usr/bin/dotnet",
            ["SlurmGateway:TrainerCommand:1"] = slurm.Trainer,
            ["SlurmGateway:TrainerArguments:0"] = "--threads",
            ["SlurmGateway:TrainerArguments:1"] = "1",
            [$"SlurmGateway:Models:{TinyModelName}"] = slurm.TinyModel,
            [$"SlurmGateway:Models:{BrokenModelName}"] = slurm.BrokenModel,
            ["SlurmGateway:PollInterval"] = "00:00:00.500",
            ["SlurmGateway:CallbackInterval"] = "00:00:01",
            ["SlurmGateway:CheckpointEvery"] = "4",
        };
        var args = new List<string> { "--urls", url };
        args.AddRange(settings.Select(s => $"--{s.Key}={s.Value}"));
        return GatewayApp.Build(args.ToArray(), builder =>
        {
            builder.Services.RouteGatewayCallsThrough(() => new ForwardToPlatform(this));
            builder.Services.AddHttpClient(Slurm.SlurmRestClient.HttpClientName).AddHttpMessageHandler(() => new CountSlurmCalls(this));
        });
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _platformHandler = Host.Server.CreateHandler();
    }

    public override async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        await base.DisposeAsync();
        if (Directory.Exists(JobRoot))
        {
            Directory.Delete(JobRoot, recursive: true);
        }
    }

    public async Task StopGatewayAsync()
    {
        await _gateway!.StopAsync();
        await _gateway.DisposeAsync();
        _gateway = null;
    }

    /// <summary>A restarted gateway on the same port and job folders (the platform keeps its base URL).</summary>
    public async Task RestartGatewayAsync()
    {
        _gateway = StartGateway(GatewayUrl);
        await _gateway.StartAsync();
    }

    /// <summary>The gateway's state of a job, read from its folder as the gateway keeps it.</summary>
    public JsonNode GatewayState(string externalJobId) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(JobRoot, Guid.ParseExact(externalJobId[6..], "N").ToString("D"), "gateway.json")))!;

    /// <summary>The Slurm jobs the gateway submitted for a job, oldest first.</summary>
    public IReadOnlyList<long> SlurmJobIds(string externalJobId) =>
        GatewayState(externalJobId)["slurm_job_ids"]!.AsArray().Select(n => n!.GetValue<long>()).ToList();

    public async Task<JsonNode> JobAsync(TestUser user, Guid id) =>
        await (await Host.Scenario(s => s.As(user).Get.Url($"/api/jobs/{id}"))).Data();

    /// <summary>Waits (polling the API, no fixed sleep) until the job view satisfies the condition.</summary>
    public async Task<JsonNode> WaitForJobAsync(TestUser user, Guid id, Func<JsonNode, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonNode view;
        do
        {
            view = await JobAsync(user, id);
            if (condition(view))
            {
                return view;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"waited {timeout} for {what}; the job is {view["job"]?.ToJsonString()}");
    }

    /// <summary>Requests the gateway sent to slurmrestd (the benchmark's calls per poll cycle).</summary>
    public long SlurmCalls;

    private sealed class CountSlurmCalls(SlurmPlatform host) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref host.SlurmCalls);
            return base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class ForwardToPlatform(SlurmPlatform host) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            InnerHandler ??= host._platformHandler ?? throw new InvalidOperationException("The platform is not up yet.");
            return base.SendAsync(request, cancellationToken);
        }
    }
}
