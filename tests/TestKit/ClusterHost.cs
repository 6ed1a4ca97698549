using LoraPipeline.GpuSimulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LoraPipeline.TestKit;

/// <summary>
/// The platform with a GPU cluster reached over real HTTP: our simulator on its own Kestrel port
/// (GpuCluster:Mode = External), sharing this class's <see cref="ManualClock"/>. The simulator's
/// own calls back into the platform (dataset downloads through signed links, callbacks) go through
/// the in-memory test server. Polls are not scheduled on their own (the interval is an hour):
/// tests advance the clock and run a poll, so every step is deterministic.
/// </summary>
public class ClusterHost : PlatformHost
{
    public const string ClusterKey = "test-cluster-key";
    public const string CallbackSecret = "test-callback-secret-0123456789";
    private WebApplication? _simulator;
    private HttpMessageHandler? _platformHandler;

    public ManualClock Clock { get; } = new();

    public string SimulatorUrl { get; private set; } = "";

    protected override TimeProvider? TestClock => Clock;

    /// <summary>
    /// The running simulator's faults, to change mid-test (the cluster's storage comes back, say): the
    /// simulator reads them through an options monitor whose value, bound once from its arguments, is this object.
    /// </summary>
    public SimulatorFaultOptions SimulatorFaults =>
        (_simulator ?? throw new InvalidOperationException("The simulator has not started.")).Services
            .GetRequiredService<IOptionsMonitor<SimulatorOptions>>().CurrentValue.Faults;

    /// <summary>Simulator settings: faults, time scale (default 40), callbacks (default off).</summary>
    protected virtual void ConfigureSimulator(IDictionary<string, string?> settings)
    {
    }

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["GpuCluster:Mode"] = "External";
        settings["GpuCluster:BaseUrl"] = SimulatorUrl + "/";
        settings["GpuCluster:ApiKey"] = ClusterKey;
        settings["GpuCluster:CallbackSecret"] = CallbackSecret;
        settings["GpuCluster:UseCallbacks"] = "false";
        settings["GpuCluster:PollInterval"] = "01:00:00";
        settings["GpuCluster:PollWatchInterval"] = "00:00:00"; // tests poll and watch when they say so, on the test clock
        settings["Artifacts:CollectionWatchInterval"] = "00:00:00";
        settings["GpuCluster:SubmitRetryDelay"] = "00:00:00.010";
        settings["GpuCluster:RequestTimeout"] = "00:00:05";
    }

    protected override async Task BeforeStartAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Simulator:ConnectionString"] = ConnectionString,
            ["Simulator:Schema"] = Schema + "_sim",
            ["Simulator:ApiKey"] = ClusterKey,
            ["Simulator:CallbackSecret"] = CallbackSecret,
            ["Simulator:CallbackInterval"] = "00:00:00",
        };
        ConfigureSimulator(settings);
        var args = new List<string> { "--urls", "http://127.0.0.1:0" };
        args.AddRange(settings.Select(s => $"--{s.Key}={s.Value}"));

        _simulator = GpuSimulatorRegistration.BuildStandalone(args.ToArray(), builder =>
        {
            builder.Services.AddSingleton(TestClock ?? TimeProvider.System);
            builder.Services.RouteSimulatorCallsThrough(() => new ForwardToPlatform(this));
        });
        await _simulator.StartAsync();
        SimulatorUrl = _simulator.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _platformHandler = Host.Server.CreateHandler();
    }

    public override async Task DisposeAsync()
    {
        if (_simulator is not null)
        {
            await _simulator.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    /// <summary>Hands the simulator's requests to the platform's test server once it is up.</summary>
    private sealed class ForwardToPlatform(ClusterHost host) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            InnerHandler ??= host._platformHandler ?? throw new InvalidOperationException("The platform is not up yet.");
            return base.SendAsync(request, cancellationToken);
        }
    }
}
