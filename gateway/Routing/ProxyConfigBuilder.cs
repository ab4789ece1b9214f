using DomainPlatform.Gateway.Auth;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms;

namespace DomainPlatform.Gateway.Routing;

/// <summary>Turns the <see cref="ServiceCatalog"/> into YARP routes and clusters (pure: no I/O).</summary>
public static class ProxyConfigBuilder
{
    public const string DestinationId = "primary";

    public static IReadOnlyList<string> ReadMethods { get; } = ["GET", "HEAD"];
    public static IReadOnlyList<string> WriteMethods { get; } = ["POST", "PUT", "PATCH", "DELETE"];

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
            var path = prefix + "/{**rest}";
            if (service.Kind == ApiKind.Inference)
            {
                yield return Route($"{service.Name}{prefix}", service.Name, path, null, Policies.Inference);
                continue;
            }
            yield return Route($"{service.Name}{prefix}:read", service.Name, path, ReadMethods, Policies.ReadApis);
            yield return Route($"{service.Name}{prefix}:write", service.Name, path, WriteMethods, Policies.ManageApis);
        }

        yield return Route($"{service.Name}/openapi", service.Name, service.OpenApiPath, ReadMethods, Policies.Anonymous)
            .WithTransformPathSet(ServiceCatalog.ServiceOpenApiPath);
    }

    private static RouteConfig Route(string id, string cluster, string path, IReadOnlyList<string>? methods, string policy) => new()
    {
        RouteId = id,
        ClusterId = cluster,
        Match = new RouteMatch { Path = path, Methods = methods },
        AuthorizationPolicy = policy,
    };
}
