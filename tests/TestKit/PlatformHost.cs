using Alba;
using LoraPipeline.Platform.Identity;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace LoraPipeline.TestKit;

/// <summary>
/// The whole platform, in process, over Alba, on real PostgreSQL. Each instance (one per test
/// class through IClassFixture) gets its own Marten and Wolverine schemas and its own blob folder,
/// so test classes share nothing and run in parallel and again and again. Subclasses change
/// settings by overriding <see cref="Configure"/>.
/// </summary>
public class PlatformHost : IAsyncLifetime
{
    private readonly string _schema = "t_" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _blobRoot = Path.Combine(Path.GetTempPath(), "lora-tests", Guid.NewGuid().ToString("N"));
    private string _connectionString = "";
    private IAlbaHost? _host;

    public IAlbaHost Host => _host ?? throw new InvalidOperationException("The host has not started.");

    public IServiceProvider Services => Host.Services;

    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();

    public string Schema => _schema;

    public string BlobRoot => _blobRoot;

    public string ConnectionString => _connectionString;

    /// <summary>Settings of this host; override to add or change some.</summary>
    protected virtual void Configure(IDictionary<string, string?> settings)
    {
    }

    /// <summary>Services of this host that replace or wrap the platform's own (a fault in front of a client, say).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    /// <summary>A clock that replaces the system's in the platform, or null for the real one.</summary>
    protected virtual TimeProvider? TestClock => null;

    /// <summary>Runs before the host starts (for example to start a server the host calls).</summary>
    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    public virtual async Task InitializeAsync()
    {
        var server = await TestDatabase.ConnectionStringAsync();
        _connectionString = server;
        await BeforeStartAsync();

        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = server,
            ["Database:Schema"] = _schema,
            ["Storage:Root"] = _blobRoot,
            ["Storage:SigningKey"] = "test-signing-key-" + Guid.NewGuid().ToString("N"),
            ["Storage:PublicBaseUrl"] = "http://localhost",
            ["Wolverine:CodegenMode"] = "Dynamic",
            ["Messaging:ScheduledPollingInterval"] = "00:00:00.100",
            ["DemoAccount:Enabled"] = "false",
            ["Simulator:Schema"] = _schema + "_sim",
            ["GpuCluster:ApiKey"] = "unused-cluster-key",
            ["GpuCluster:CallbackSecret"] = "unused-callback-secret-0123456789",
        };
        Configure(settings);

        _host = await AlbaHost.For<Program>(web =>
        {
            web.UseEnvironment("Testing");
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }

            web.ConfigureTestServices(services =>
            {
                if (TestClock is { } clock)
                {
                    services.AddSingleton(clock);
                }

                ConfigureServices(services);
            });
        });
    }

    public virtual async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_connectionString.Length > 0)
        {
            await TestDatabase.DropSchemasAsync(_connectionString, _schema, _schema + "_messages", _schema + "_sim");
        }

        if (Directory.Exists(_blobRoot))
        {
            Directory.Delete(_blobRoot, recursive: true);
        }
    }

    /// <summary>A new user with a fresh API key, created the way the command line does it.</summary>
    public async Task<TestUser> CreateUserAsync(string? name = null)
    {
        await using var session = Store.LightweightSession();
        var (user, key) = await Accounts.CreateUserAsync(session, name ?? "user-" + Guid.NewGuid().ToString("N")[..8], TimeProvider.System);
        return new TestUser(user.Id, user.Name, key.Secret.ToString(), key.Record.Id);
    }
}

public sealed record TestUser(Guid Id, string Name, string ApiKey, Guid KeyId)
{
    public string Tenant => Caller.TenantOf(Id);
}
