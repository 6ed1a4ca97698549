using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace LoraPipeline.SlurmGateway.Api;

/// <summary>Download links signed by the gateway: HMAC over (job, checkpoint, file, expiry), compared in constant time.</summary>
internal sealed class DownloadLinks(IOptions<GatewayOptions> options, TimeProvider clock)
{
    private byte[] Key => options.Value.DownloadSigningKey is { Length: > 0 } key
        ? Encoding.UTF8.GetBytes(key)
        : SHA256.HashData(Encoding.UTF8.GetBytes("download-links:" + options.Value.ApiKey));

    public string Query(string externalJobId, int? checkpoint, string file)
    {
        var expires = (clock.GetUtcNow() + options.Value.DownloadLinkLifetime).ToUnixTimeSeconds();
        var step = checkpoint is { } s ? $"checkpoint={s.ToString(CultureInfo.InvariantCulture)}&" : "";
        return $"{step}expires={expires.ToString(CultureInfo.InvariantCulture)}&sig={Signature(externalJobId, checkpoint, file, expires)}";
    }

    public bool IsValid(string externalJobId, int? checkpoint, string file, long expires, string? signature) =>
        signature is { Length: 64 } && expires >= clock.GetUtcNow().ToUnixTimeSeconds()
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Signature(externalJobId, checkpoint, file, expires)), Encoding.ASCII.GetBytes(signature));

    private string Signature(string externalJobId, int? checkpoint, string file, long expires) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes($"{externalJobId}\n{checkpoint}\n{file}\n{expires}")));
}
