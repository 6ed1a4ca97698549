using System.Security.Cryptography;
using System.Text;

namespace LoraPipeline.Platform;

/// <summary>
/// A Guid derived from a name (SHA-256, RFC 9562 version 8 layout). The same name always gives the
/// same id, which makes "at most once" a uniqueness constraint: a second job for one idempotency
/// key, a second artifact for one job, or a second cost record for one job collides instead of
/// being created.
/// </summary>
public static class DeterministicGuid
{
    public static Guid From(params string[] parts)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', parts)));
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8: custom
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true);
    }
}
