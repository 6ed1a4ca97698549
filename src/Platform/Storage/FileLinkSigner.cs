using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace LoraPipeline.Platform.Storage;

/// <summary>
/// Signs and verifies expiring download links of the form
/// <c>/files/{bucket}/{path}?expires={unix seconds}&amp;signature={base64url HMAC-SHA256}</c>.
/// The signature covers bucket, path and expiry, so changing any of them, or one character of the
/// signature, invalidates the link.
/// </summary>
public sealed class FileLinkSigner
{
    private readonly byte[] _key;
    private readonly TimeProvider _clock;
    private readonly string _publicBaseUrl;

    public FileLinkSigner(IOptions<StorageOptions> options, TimeProvider clock)
    {
        var key = options.Value.SigningKey;
        if (string.IsNullOrWhiteSpace(key) || key.Length < 32)
        {
            throw new InvalidOperationException(
                "Storage:SigningKey must be configured with at least 32 characters (run.sh generates one into .data/).");
        }

        _key = Encoding.UTF8.GetBytes(key);
        _clock = clock;
        _publicBaseUrl = options.Value.PublicBaseUrl.TrimEnd('/');
    }

    public SignedLink Sign(BlobLocation location, TimeSpan lifetime) => SignRoute($"/files/{location.Bucket}/{location.Path}", location, lifetime);

    /// <summary>
    /// A link to another route than <c>/files</c> (a model's archive, made on the fly), signed as if for
    /// <paramref name="signedAs"/>: the route checks it with <see cref="Verify"/> on that location.
    /// </summary>
    public SignedLink SignRoute(string route, BlobLocation signedAs, TimeSpan lifetime)
    {
        var expires = _clock.GetUtcNow().Add(lifetime);
        var unix = expires.ToUnixTimeSeconds();
        var relative = $"{route}?expires={unix.ToString(CultureInfo.InvariantCulture)}&signature={Signature(signedAs, unix)}";
        return new SignedLink(_publicBaseUrl + relative, DateTimeOffset.FromUnixTimeSeconds(unix));
    }

    public LinkCheck Verify(string bucket, string path, string? expires, string? signature)
    {
        if (!BlobLocation.TryCreate(bucket, path, out var location)
            || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var unix)
            || string.IsNullOrEmpty(signature))
        {
            return LinkCheck.Invalid;
        }

        var expected = Encoding.ASCII.GetBytes(Signature(location!, unix));
        var given = Encoding.ASCII.GetBytes(signature);
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
        {
            return LinkCheck.Invalid;
        }

        return _clock.GetUtcNow().ToUnixTimeSeconds() > unix ? LinkCheck.Expired : LinkCheck.Valid;
    }

    private string Signature(BlobLocation location, long unixExpiry)
    {
        var payload = Encoding.UTF8.GetBytes($"{location.Bucket}\n{location.Path}\n{unixExpiry.ToString(CultureInfo.InvariantCulture)}");
        return Base64Url(HMACSHA256.HashData(_key, payload));
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

public sealed record SignedLink(string Url, DateTimeOffset ExpiresAt);

public enum LinkCheck
{
    Valid,
    Invalid,
    Expired,
}
