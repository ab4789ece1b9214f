using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.ServiceDiscovery;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace DomainPlatform.Gateway.Routing;

/// <summary>
/// Expands each logical destination (<c>http://deployment</c>) into the endpoints service discovery
/// knows for it (<c>services__deployment__http__*</c>), and re-resolves when discovery signals a change.
/// </summary>
internal sealed partial class ServiceDiscoveryDestinationResolver(
    ServiceEndpointResolver endpoints, ILogger<ServiceDiscoveryDestinationResolver> logger) : IDestinationResolver
{
    // A destination that failed to resolve is tried again after this long instead of never.
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(10);

    public async ValueTask<ResolvedDestinationCollection> ResolveDestinationsAsync(
        IReadOnlyDictionary<string, DestinationConfig> destinations, CancellationToken cancellationToken)
    {
        var resolved = new Dictionary<string, DestinationConfig>(StringComparer.OrdinalIgnoreCase);
        var changeTokens = new List<IChangeToken>();
        foreach (var (id, destination) in destinations)
        {
            var logical = new Uri(destination.Address);
            var serviceName = logical.GetLeftPart(UriPartial.Authority);
            try
            {
                var source = await endpoints.GetEndpointsAsync(serviceName, cancellationToken);
                changeTokens.Add(source.ChangeToken);
                foreach (var endpoint in source.Endpoints)
                {
                    var address = DestinationAddress.Rebase(logical, endpoint.EndPoint);
                    resolved[$"{id}[{address.Authority}]"] = destination with { Address = address.ToString() };
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One unresolvable service must not take the others down: its routes answer 503 until it resolves.
                LogResolveFailed(serviceName, ex.Message);
                changeTokens.Add(new CancellationChangeToken(new CancellationTokenSource(RetryAfterFailure).Token));
            }
        }
        return new ResolvedDestinationCollection(resolved, new CompositeChangeToken(changeTokens));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Service discovery could not resolve {Service}: {Reason}")]
    private partial void LogResolveFailed(string service, string reason);
}
