using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace LoraPipeline.Webhooks.Secrets;

/// <summary>
/// Signing secrets in the Standard Webhooks form (<c>whsec_</c> + base64 of 32 random bytes). The platform must
/// sign with them, so they cannot be hashed: they are stored encrypted with AES-GCM under a key derived (HKDF) from
/// Webhooks:EncryptionKey, or Storage:SigningKey, which every node already has and which survives restarts.
/// </summary>
public sealed class SigningSecrets
{
    public const string Prefix = "whsec_";
    private readonly byte[] _key;

    public SigningSecrets(IOptions<WebhookOptions> options, IConfiguration configuration)
    {
        var material = options.Value.EncryptionKey is { Length: > 0 } configured ? configured : configuration["Storage:SigningKey"];
        if (string.IsNullOrEmpty(material))
        {
            throw new InvalidOperationException("Webhooks:EncryptionKey (or Storage:SigningKey) must be set to keep webhook secrets encrypted.");
        }

        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(material), 32, info: "lorapipeline webhook secrets v1"u8.ToArray());
    }

    public static string NewSecret() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>nonce | tag | ciphertext, base64.</summary>
    public string Protect(string secret)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[12 + 16 + plain.Length];
        var nonce = sealedBytes.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16));
        return Convert.ToBase64String(sealedBytes);
    }

    public string Unprotect(string protectedSecret)
    {
        var sealedBytes = Convert.FromBase64String(protectedSecret);
        var plain = new byte[sealedBytes.Length - 28];
        using var aes = new AesGcm(_key, 16);
        aes.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16), plain);
        return Encoding.UTF8.GetString(plain);
    }
}
