using System.Net;
using System.Net.Sockets;

namespace LoraPipeline.Webhooks.Safety;

/// <summary>
/// Where a webhook may point: https (http only with Webhooks:AllowInsecure), and never, unless
/// Webhooks:AllowPrivateAddresses, an address of this machine, a private network, link-local ranges (which hold
/// the clouds' metadata services, 169.254.169.254 and fd00:ec2::254) or other non-public ranges: a webhook must
/// not become a way to reach the platform's own network.
/// </summary>
public static class DestinationRules
{
    /// <summary>Why the URL is refused, or null.</summary>
    public static string? RefuseUrl(string? url, WebhookOptions options)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return "must be an absolute https:// URL";
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !options.AllowInsecure)
        {
            return "must use https:// (http:// is allowed only where Webhooks:AllowInsecure is set, for development)";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "must not carry a user name or password; the signature authenticates the platform";
        }

        if (uri.Fragment.Length > 0)
        {
            return "must not have a fragment (#...)";
        }

        if (url!.Length > 2048)
        {
            return "must be at most 2048 characters";
        }

        if (!options.AllowPrivateAddresses)
        {
            if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var literal) && IsNonPublic(literal))
            {
                return $"points at a non-public address ({literal}): loopback, private, link-local and metadata addresses are refused";
            }

            if (uri.IdnHost.Equals("localhost", StringComparison.OrdinalIgnoreCase) || uri.IdnHost.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            {
                return "points at this machine (localhost)";
            }
        }

        return null;
    }

    /// <summary>Loopback, private, link-local, CGNAT, multicast, unspecified, documentation and other reserved ranges.</summary>
    public static bool IsNonPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 or 10 or 127 => true,
                100 => b[1] >= 64 && b[1] <= 127, // carrier-grade NAT
                169 => b[1] == 254, // link-local, cloud metadata
                172 => b[1] >= 16 && b[1] <= 31,
                192 => (b[1] == 168) || (b[1] == 0 && (b[2] == 0 || b[2] == 2)) || (b[1] == 88 && b[2] == 99),
                198 => (b[1] == 18 || b[1] == 19) || (b[1] == 51 && b[2] == 100),
                203 => b[1] == 0 && b[2] == 113,
                >= 224 => true, // multicast and reserved
                _ => false,
            };
        }

        if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal)
        {
            return true; // fc00::/7 includes the EC2 metadata address fd00:ec2::254
        }

        var bytes = address.GetAddressBytes();
        // 64:ff9b::/96 (NAT64) can reach IPv4 private ranges; 2001:db8::/32 is documentation
        return (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b)
            || (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8);
    }
}

/// <summary>Thrown by the connect callback: the name resolved to a refused address (at delivery time, so DNS rebinding is caught).</summary>
public sealed class RefusedDestinationException(string message) : Exception(message);
