using System.Security.Cryptography;
using System.Text;

namespace LoraPipeline.Platform.Identity;

/// <summary>
/// An API key as the user holds it: <c>lp_{key id, 32 hex}_{secret, 43 base64url chars}</c>.
/// The key id lets us find the stored record without scanning; only the SHA-256 of the secret is
/// stored. A 256-bit random secret needs no slow hash: there is nothing to brute-force.
/// </summary>
public sealed record ApiKeySecret(Guid KeyId, string Secret)
{
    private const string Prefix = "lp_";

    public static ApiKeySecret Generate() =>
        new(Guid.NewGuid(), Base64Url(RandomNumberGenerator.GetBytes(32)));

    public override string ToString() => $"{Prefix}{KeyId:N}_{Secret}";

    public string Hash() => HashOf(Secret);

    public static string HashOf(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static bool TryParse(string? value, out ApiKeySecret? key)
    {
        key = null;
        if (value is null || value.Length != Prefix.Length + 32 + 1 + 43 || !value.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        if (value[Prefix.Length + 32] != '_' || !Guid.TryParseExact(value.AsSpan(Prefix.Length, 32), "N", out var id))
        {
            return false;
        }

        key = new ApiKeySecret(id, value[(Prefix.Length + 33)..]);
        return true;
    }

    /// <summary>Constant-time comparison of this secret with a stored hash.</summary>
    public bool Matches(string storedHash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash()), Encoding.ASCII.GetBytes(storedHash));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
