using JasperFx;
using JasperFx.CommandLine;
using Marten;
using Microsoft.Extensions.DependencyInjection;

[assembly: JasperFxAssembly]

namespace LoraPipeline.Platform.Identity;

public sealed class UsersInput : NetCoreInput
{
    [Description("create | list")]
    public string Action { get; set; } = "";

    [Description("Name of the new user (create)")]
    public string Name { get; set; } = "";
}

/// <summary>
/// <c>users create &lt;name&gt;</c> prints the new user's id, then the API key alone on the last line
/// (so <c>KEY=$(... users create alice | tail -n 1)</c> works); <c>users list</c> lists users.
/// </summary>
[Description("Create or list users", Name = "users")]
public sealed class UsersCommand : JasperFxAsyncCommand<UsersInput>
{
    public UsersCommand()
    {
        Usage("List users").Arguments(x => x.Action);
        Usage("Create a user and print a fresh API key").Arguments(x => x.Action, x => x.Name);
    }

    public override async Task<bool> Execute(UsersInput input)
    {
        using var host = input.BuildHost();
        var store = host.Services.GetRequiredService<IDocumentStore>();
        var clock = host.Services.GetRequiredService<TimeProvider>();
        await using var session = store.LightweightSession();

        switch (input.Action)
        {
            case "create":
                try
                {
                    var (user, key) = await Accounts.CreateUserAsync(session, input.Name, clock);
                    Console.WriteLine($"Created user {user.Name} with id {user.Id} and API key id {key.Record.Id}.");
                    Console.WriteLine("The key is shown once; store it now:");
                    Console.WriteLine(key.Secret.ToString());
                    return true;
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    await Console.Error.WriteLineAsync(e.Message);
                    return false;
                }

            case "list":
                foreach (var user in await session.Query<UserAccount>().OrderBy(u => u.Name).ToListAsync())
                {
                    Console.WriteLine($"{user.Id}\t{user.Name}\t{user.CreatedAt:O}");
                }

                return true;

            default:
                await Console.Error.WriteLineAsync($"Unknown action '{input.Action}': use 'users create <name>' or 'users list'.");
                return false;
        }
    }
}

public sealed class KeysInput : NetCoreInput
{
    [Description("create | revoke")]
    public string Action { get; set; } = "";

    [Description("User id or name (create), or key id (revoke)")]
    public string Target { get; set; } = "";
}

/// <summary><c>keys create &lt;user&gt;</c> prints a new key on the last line; <c>keys revoke &lt;key-id&gt;</c>.</summary>
[Description("Issue or revoke API keys", Name = "keys")]
public sealed class KeysCommand : JasperFxAsyncCommand<KeysInput>
{
    public KeysCommand()
    {
        Usage("Issue a new key for a user (by id or name), or revoke a key by its id").Arguments(x => x.Action, x => x.Target);
    }

    public override async Task<bool> Execute(KeysInput input)
    {
        using var host = input.BuildHost();
        var store = host.Services.GetRequiredService<IDocumentStore>();
        var clock = host.Services.GetRequiredService<TimeProvider>();
        await using var session = store.LightweightSession();

        switch (input.Action)
        {
            case "create":
                var user = await Accounts.FindUserAsync(session, input.Target);
                if (user is null)
                {
                    await Console.Error.WriteLineAsync($"No user '{input.Target}'.");
                    return false;
                }

                var key = await Accounts.CreateKeyAsync(session, user, clock);
                Console.WriteLine($"Issued API key id {key.Record.Id} for {user.Name} ({user.Id}). The key is shown once:");
                Console.WriteLine(key.Secret.ToString());
                return true;

            case "revoke":
                if (!Guid.TryParse(input.Target, out var keyId) || !await Accounts.RevokeKeyAsync(session, keyId, clock))
                {
                    await Console.Error.WriteLineAsync($"No API key with id '{input.Target}'.");
                    return false;
                }

                Console.WriteLine($"Revoked API key {keyId}.");
                return true;

            default:
                await Console.Error.WriteLineAsync($"Unknown action '{input.Action}': use 'keys create <user>' or 'keys revoke <key-id>'.");
                return false;
        }
    }
}
