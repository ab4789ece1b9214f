using DomainPlatform.Gateway.Auth;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
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

    public static IReadOnlyList<ClusterConfig> BuildClusters(IEnumerable<BackendService> services, TimeSpan? circuitBreak = null, TimeSpan? inferenceTimeout = null) =>
        services.Select(s => ClusterFor(s, circuitBreak, inferenceTimeout)).ToList();

    /// <summary>How long an instance whose transport failures piled up stays out of rotation, unless configured.</summary>
    public static readonly TimeSpan DefaultCircuitBreak = TimeSpan.FromSeconds(15);

    /// <summary>Longest silence from a management API before the request is given up (504).</summary>
    public static readonly TimeSpan ManagementTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Longest silence from an inference destination unless configured: a long prompt may take a while to its first token.</summary>
    public static readonly TimeSpan InferenceTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Longest silence on a web UI's connection: Blazor's circuit pings every 15 s over its WebSocket.</summary>
    public static readonly TimeSpan WebUiTimeout = TimeSpan.FromMinutes(2);

    public static ClusterConfig ClusterFor(BackendService service, TimeSpan? circuitBreak = null, TimeSpan? inferenceTimeout = null) =>
        Cluster(service.Name, service.DiscoveryAddress, service.Kind switch
        {
            ApiKind.Inference => inferenceTimeout ?? InferenceTimeout,
            ApiKind.WebUi => WebUiTimeout,
            _ => ManagementTimeout,
        }, circuitBreak);

    /// <summary>
    /// A cluster whose instances are taken out of rotation when their transport failures pile up (circuit
    /// breaking) and put back after the reactivation period.
    /// </summary>
    public static ClusterConfig Cluster(string id, string address, TimeSpan timeout, TimeSpan? circuitBreak = null) => new()
    {
        ClusterId = id,
        Destinations = new Dictionary<string, DestinationConfig> { [DestinationId] = new() { Address = address } },
        HttpRequest = new ForwarderRequestConfig { ActivityTimeout = timeout },
        HealthCheck = new HealthCheckConfig
        {
            Passive = new PassiveHealthCheckConfig
            {
                Enabled = true,
                Policy = "TransportFailureRate",
                ReactivationPeriod = circuitBreak ?? DefaultCircuitBreak,
            },
        },
    };

    private static IEnumerable<RouteConfig> RoutesFor(BackendService service)
    {
        foreach (var prefix in service.PathPrefixes)
        {
            // The catch-all also matches the bare prefix, so "/api/domains" and "/api/domains/x" both route.
            var path = prefix + "/{**rest}";
            if (service.Kind == ApiKind.WebUi)
            {
                // Every method (Blazor's hub negotiates with POST, then upgrades to a WebSocket) and the path unchanged:
                // the UI serves itself under this prefix (its path base).
                yield return Route($"{service.Name}{prefix}", service.Name, path, null, Policies.Anonymous);
                continue;
            }
            if (service.Kind == ApiKind.Inference)
            {
                yield return Route($"{service.Name}{prefix}", service.Name, path, null, Policies.Inference);
                continue;
            }
            yield return Route($"{service.Name}{prefix}:read", service.Name, path, ReadMethods, Policies.ReadApis);
            yield return Route($"{service.Name}{prefix}:write", service.Name, path, WriteMethods, Policies.ManageApis);
        }

        foreach (var prefix in service.ReadOnlyPrefixes ?? [])
        {
            yield return Route($"{service.Name}{prefix}:read", service.Name, prefix + "/{**rest}", ReadMethods, Policies.ReadApis);
        }

        if (service.Kind == ApiKind.WebUi) yield break;
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
