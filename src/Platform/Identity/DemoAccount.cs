using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LoraPipeline.Platform.Identity;

public sealed class DemoAccountOptions
{
    public const string Section = "DemoAccount";

    /// <summary>On in Development only (appsettings.Development.json).</summary>
    public bool Enabled { get; set; }

    /// <summary>Where the demo key is kept between runs (a git-ignored local file).</summary>
    public string KeyFile { get; set; } = ".data/demo-api-key";
}

/// <summary>
/// In Development, creates a "demo" user once and prints its key at every start, so a new user can
/// try the API and the dashboard right away. The key file is local and git-ignored; production
/// never enables this.
/// </summary>
public sealed class DemoAccount(IOptions<DemoAccountOptions> options, IDocumentStore store, TimeProvider clock) : IHostedService
{
    public const string UserName = "demo";

    public string? Key { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }

        await using var session = store.LightweightSession();
        var existing = File.Exists(settings.KeyFile) ? (await File.ReadAllTextAsync(settings.KeyFile, cancellationToken)).Trim() : null;
        if (existing is not null && ApiKeySecret.TryParse(existing, out var parsed)
            && await session.LoadAsync<ApiKeyRecord>(parsed!.KeyId, cancellationToken) is { RevokedAt: null } record
            && parsed.Matches(record.SecretHash))
        {
            Key = existing;
        }
        else
        {
            var user = await Accounts.FindUserAsync(session, UserName, cancellationToken);
            var key = user is null
                ? (await Accounts.CreateUserAsync(session, UserName, clock, cancellationToken)).Key
                : await Accounts.CreateKeyAsync(session, user, clock, cancellationToken);
            Key = key.Secret.ToString();
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.KeyFile))!);
            await File.WriteAllTextAsync(settings.KeyFile, Key, cancellationToken);
        }

        // Printed on purpose (Development only): the run command promises the demo key.
        Console.WriteLine($"Demo user '{UserName}' API key: {Key}");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
