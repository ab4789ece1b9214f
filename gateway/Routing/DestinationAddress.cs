using System.Net;
using Microsoft.Extensions.ServiceDiscovery;

namespace DomainPlatform.Gateway.Routing;

/// <summary>Rewrites a logical destination (<c>http://deployment/base</c>) onto one endpoint that discovery resolved.</summary>
public static class DestinationAddress
{
    public static Uri Rebase(Uri logical, EndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(logical);
        ArgumentNullException.ThrowIfNull(endpoint);
        if (!logical.IsAbsoluteUri) throw new ArgumentException($"Destination '{logical}' must be an absolute URI.", nameof(logical));

        var builder = new UriBuilder(logical);
        switch (endpoint)
        {
            case UriEndPoint { Uri: var uri }:
                builder.Scheme = uri.Scheme;
                builder.Host = uri.Host;
                builder.Port = uri.Port;
                break;
            case IPEndPoint ip:
                builder.Host = ip.Address.ToString();
                builder.Port = ip.Port == 0 ? -1 : ip.Port;
                break;
            case DnsEndPoint dns:
                builder.Host = dns.Host;
                builder.Port = dns.Port == 0 ? -1 : dns.Port;
                break;
            default:
                throw new NotSupportedException($"Cannot address endpoint '{endpoint}' of type {endpoint.GetType().Name} over HTTP.");
        }
        return builder.Uri;
    }
}
