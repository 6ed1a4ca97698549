using Marten;
using Marten.Schema;

namespace LoraPipeline.Platform.Identity;

/// <summary>A user of the platform. Every other document and stream belongs to one (its tenant).</summary>
[SingleTenanted]
public sealed class UserAccount
{
    public Guid Id { get; set; }

    [UniqueIndex(IndexType = UniqueIndexType.Computed)]
    public string Name { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A stored API key: only the SHA-256 of its secret, never the key itself.</summary>
[SingleTenanted]
public sealed class ApiKeyRecord
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }

    /// <summary>The owner's name, kept here so authenticating a request is one read (names never change).</summary>
    public string UserName { get; set; } = "";
    public string SecretHash { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}

public sealed record NewApiKey(ApiKeyRecord Record, ApiKeySecret Secret);

/// <summary>
/// Creating users, issuing and revoking keys: used by the command line and by the development
/// demo account. A key's secret is returned once, here, and never stored.
/// </summary>
public static class Accounts
{
    public const int MaxNameLength = 100;

    public static async Task<(UserAccount User, NewApiKey Key)> CreateUserAsync(
        IDocumentSession session, string name, TimeProvider clock, CancellationToken ct = default)
    {
        name = name.Trim();
        if (name.Length is 0 or > MaxNameLength)
        {
            throw new ArgumentException($"A user name must have 1 to {MaxNameLength} characters.", nameof(name));
        }

        if (await FindUserAsync(session, name, ct) is not null)
        {
            throw new InvalidOperationException($"A user named '{name}' already exists.");
        }

        var user = new UserAccount { Id = Guid.NewGuid(), Name = name, CreatedAt = clock.GetUtcNow() };
        session.Insert(user);
        var key = IssueKey(session, user, clock);
        await session.SaveChangesAsync(ct);
        return (user, key);
    }

    public static async Task<NewApiKey> CreateKeyAsync(IDocumentSession session, UserAccount user, TimeProvider clock, CancellationToken ct = default)
    {
        var key = IssueKey(session, user, clock);
        await session.SaveChangesAsync(ct);
        return key;
    }

    /// <summary>Revokes a key; false when no such key exists. Revoking twice keeps the first time.</summary>
    public static async Task<bool> RevokeKeyAsync(IDocumentSession session, Guid keyId, TimeProvider clock, CancellationToken ct = default)
    {
        var key = await session.LoadAsync<ApiKeyRecord>(keyId, ct);
        if (key is null)
        {
            return false;
        }

        key.RevokedAt ??= clock.GetUtcNow();
        session.Store(key);
        await session.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Finds a user by id or by exact name.</summary>
    public static async Task<UserAccount?> FindUserAsync(IQuerySession session, string idOrName, CancellationToken ct = default)
    {
        if (Guid.TryParse(idOrName, out var id))
        {
            return await session.LoadAsync<UserAccount>(id, ct);
        }

        return await session.Query<UserAccount>().FirstOrDefaultAsync(u => u.Name == idOrName, ct);
    }

    private static NewApiKey IssueKey(IDocumentSession session, UserAccount user, TimeProvider clock)
    {
        var secret = ApiKeySecret.Generate();
        var record = new ApiKeyRecord { Id = secret.KeyId, UserId = user.Id, UserName = user.Name, SecretHash = secret.Hash(), CreatedAt = clock.GetUtcNow() };
        session.Insert(record);
        return new NewApiKey(record, secret);
    }
}
