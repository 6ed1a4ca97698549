using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace LoraPipeline.SlurmGateway.Slurm;

/// <summary>
/// The JWT sent to slurmrestd: configured inline, read from a file (re-read when it changes, so a cron job can
/// rotate it), or minted here as HS256 {"iat","exp","sun"} with the cluster's jwt_key, as `scontrol token` does.
/// </summary>
internal sealed class SlurmToken(IOptions<GatewayOptions> options, TimeProvider clock)
{
    private readonly Lock _lock = new();
    private string _token = "";
    private DateTimeOffset _renewAt = DateTimeOffset.MinValue;
    private DateTime _fileWrittenAt;

    public string Current()
    {
        var o = options.Value;
        if (!string.IsNullOrWhiteSpace(o.SlurmToken))
        {
            return o.SlurmToken.Trim();
        }

        lock (_lock)
        {
            if (!string.IsNullOrWhiteSpace(o.SlurmTokenFile))
            {
                var written = File.GetLastWriteTimeUtc(o.SlurmTokenFile);
                if (written != _fileWrittenAt)
                {
                    _token = File.ReadAllText(o.SlurmTokenFile).Trim();
                    _fileWrittenAt = written;
                }

                return _token;
            }

            var now = clock.GetUtcNow();
            if (now >= _renewAt)
            {
                _token = Mint(File.ReadAllBytes(o.SlurmJwtKeyFile), o.SlurmUser, now, o.MintedTokenLifetime);
                _renewAt = now + (o.MintedTokenLifetime / 2);
            }

            return _token;
        }
    }

    internal static string Mint(byte[] key, string user, DateTimeOffset now, TimeSpan lifetime)
    {
        static string Part(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var header = Part(Encoding.UTF8.GetBytes("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"));
        var payload = Part(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + lifetime).ToUnixTimeSeconds(),
            ["sun"] = user,
        }));
        var signature = Part(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes($"{header}.{payload}")));
        return $"{header}.{payload}.{signature}";
    }
}
