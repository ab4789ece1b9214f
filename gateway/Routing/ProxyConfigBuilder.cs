using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms;

namespace DomainPlatform.Gateway.Routing;

/// <summary>Turns the <see cref="ServiceCatalog"/> into YARP routes and clusters (pure: no I/O).</summary>
public static class ProxyConfigBuilder
{
    public const string DestinationId = "primary";

    public static IReadOnlyList<RouteConfig> BuildRoutes(IEnumerable<BackendService> services) =>
        services.SelectMany(RoutesFor).ToList();

    public static IReadOnlyList<ClusterConfig> BuildClusters(IEnumerable<BackendService> services) =>
        services.Select(ClusterFor).ToList();

    public static ClusterConfig ClusterFor(BackendService service) => new()
    {
        ClusterId = service.Name,
        Destinations = new Dictionary<string, DestinationConfig>
        {
            [DestinationId] = new() { Address = service.DiscoveryAddress },
        },
    };

    private static IEnumerable<RouteConfig> RoutesFor(BackendService service)
    {
        foreach (var prefix in service.PathPrefixes)
        {
            // The catch-all also matches the bare prefix, so "/api/domains" and "/api/domains/x" both route.
            yield return new RouteConfig
            {
                RouteId = $"{service.Name}{prefix}",
                ClusterId = service.Name,
                Match = new RouteMatch { Path = prefix + "/{**rest}" },
            };
        }

        yield return new RouteConfig
        {
            RouteId = $"{service.Name}/openapi",
            ClusterId = service.Name,
            Match = new RouteMatch { Path = service.OpenApiPath },
        }.WithTransformPathSet(ServiceCatalog.ServiceOpenApiPath);
    }
}
