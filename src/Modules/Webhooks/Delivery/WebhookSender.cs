using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LoraPipeline.Webhooks.Safety;
using Microsoft.Extensions.Options;
using StandardWebhooks;

namespace LoraPipeline.Webhooks.Delivery;

public sealed record AttemptResult(bool Succeeded, int? ResponseCode, long DurationMs, string? ResponseExcerpt, string? Error);

/// <summary>
/// One HTTP attempt of a delivery, signed by the Standard Webhooks scheme with every valid secret of the endpoint
/// (one <c>v1,</c> signature each, so a receiver still holding the previous secret verifies during a rotation).
/// The client follows no redirect, connects only to public addresses (checked on the resolved address, at connect
/// time), gives up after Webhooks:RequestTimeout and reads at most Webhooks:MaxResponseBytes of the answer.
/// </summary>
public sealed class WebhookSender(IHttpClientFactory clients, IOptions<WebhookOptions> options, TimeProvider clock)
{
    public const string ClientName = "webhooks";

    public async Task<AttemptResult> SendAsync(string url, string messageId, string payload, IReadOnlyList<string> secrets, CancellationToken ct)
    {
        var settings = options.Value;
        if (Encoding.UTF8.GetByteCount(payload) > settings.MaxPayloadBytes)
        {
            return new AttemptResult(false, null, 0, null, $"The payload is larger than {settings.MaxPayloadBytes} bytes (Webhooks:MaxPayloadBytes).");
        }

        if (DestinationRules.RefuseUrl(url, settings) is { } refused)
        {
            return new AttemptResult(false, null, 0, null, "The endpoint's URL " + refused + ".");
        }

        var timestamp = clock.GetUtcNow();
        var signatures = string.Join(' ', secrets.Select(s => new StandardWebhook(s.StartsWith(Secrets.SigningSecrets.Prefix, StringComparison.Ordinal) ? s[Secrets.SigningSecrets.Prefix.Length..] : s)
            .Sign(messageId, timestamp, payload)));

        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("webhook-id", messageId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", signatures);
        request.Headers.UserAgent.ParseAdd("LoraPipeline-Webhooks/1.0");

        var watch = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(settings.RequestTimeout);
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var excerpt = await ReadExcerptAsync(response, settings, timeout.Token);
            var code = (int)response.StatusCode;
            var ok = code is >= 200 and < 300;
            return new AttemptResult(ok, code, watch.ElapsedMilliseconds, excerpt,
                ok ? null : code is >= 300 and < 400 ? $"The endpoint answered a redirect ({code}); redirects are not followed." : $"The endpoint answered {code}.");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new AttemptResult(false, null, watch.ElapsedMilliseconds, null, $"No answer within {settings.RequestTimeout.TotalSeconds:0.#} s.");
        }
        catch (HttpRequestException e) when (Find<RefusedDestinationException>(e) is { } refusedAddress)
        {
            return new AttemptResult(false, null, watch.ElapsedMilliseconds, null, refusedAddress.Message);
        }
        catch (HttpRequestException e)
        {
            return new AttemptResult(false, null, watch.ElapsedMilliseconds, null, "Could not reach the endpoint: " + e.Message);
        }
    }

    /// <summary>The first bytes of the answer, read up to the response cap and no further.</summary>
    private static async Task<string?> ReadExcerptAsync(HttpResponseMessage response, WebhookOptions settings, CancellationToken ct)
    {
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[Math.Min(settings.ResponseExcerptBytes, settings.MaxResponseBytes)];
        var read = 0;
        while (read < buffer.Length && await body.ReadAsync(buffer.AsMemory(read), ct) is var n and > 0)
        {
            read += n;
        }

        return read == 0 ? null : Encoding.UTF8.GetString(buffer, 0, read);
    }

    private static T? Find<T>(Exception e) where T : Exception
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>The handler behind the client: no redirects, no cookies, no proxy, and the address check at connect time.</summary>
    public static SocketsHttpHandler CreateHandler(IOptions<WebhookOptions> options) => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        MaxResponseHeadersLength = 16,
        ConnectCallback = async (context, ct) =>
        {
            var addresses = IPAddress.TryParse(context.DnsEndPoint.Host, out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct);
            var allowed = addresses.Where(a => options.Value.AllowPrivateAddresses || !DestinationRules.IsNonPublic(a)).ToList();
            if (allowed.Count == 0)
            {
                throw new RefusedDestinationException(
                    $"The endpoint's host {context.DnsEndPoint.Host} resolves to a non-public address ({string.Join(", ", addresses.Select(a => a.ToString()))}); "
                    + "loopback, private, link-local and metadata addresses are refused (Webhooks:AllowPrivateAddresses).");
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                // connect to the address just checked, not to a second resolution of the name
                await socket.ConnectAsync(allowed.ToArray(), context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
