namespace DomainPlatform.Deploy.Tests;

/// <summary>
/// The topology the manifests must carry, as AppHost/AppHost.cs declares it. A hard-coded mirror of AppHost.cs (its
/// references are code, not data): gateway references every service and the console; each service references every
/// other service but the gateway; the console references the gateway and the event bus. The names and endpoints are
/// checked against deploy/topology.sh, the launcher's table, so a service added there fails here until it is added.
/// </summary>
public static class Topology
{
    public static readonly string[] Services = ["gateway", "deployment", "experimentation", "extraction", "training", "inference", "console"];

    private static readonly string[] Inner = ["deployment", "experimentation", "extraction", "training", "inference"];

    /// <summary>Services with a gRPC endpoint (Kestrel:Endpoints:grpc); the others only http.</summary>
    public static bool HasGrpc(string service) => service is not ("gateway" or "console");

    /// <summary>The services a service references (its services__&lt;name&gt;__* discovery entries).</summary>
    public static IReadOnlyList<string> References(string service) => service switch
    {
        "gateway" => [.. Inner, "console"],
        "console" => ["gateway"],
        _ => [.. Inner.Where(other => other != service)],
    };

    /// <summary>The services that reference this one: the only pods its NetworkPolicy lets in.</summary>
    public static IReadOnlyList<string> Callers(string service) => [.. Services.Where(caller => References(caller).Contains(service))];

    /// <summary>ConnectionStrings__* the AppHost gives: its own database, Redis and the bus; the console the bus only.</summary>
    public static IReadOnlySet<string> ConnectionStrings(string service) => service == "console"
        ? new HashSet<string> { "ConnectionStrings__eventbus" }
        : new HashSet<string> { $"ConnectionStrings__{service}db", "ConnectionStrings__redis", "ConnectionStrings__eventbus" };

    /// <summary>services__&lt;name&gt;__http__0 (and __grpc__0 where the referenced service has one).</summary>
    public static IReadOnlySet<string> Discovery(string service) => References(service)
        .SelectMany(other => HasGrpc(other) ? new[] { $"services__{other}__http__0", $"services__{other}__grpc__0" } : [$"services__{other}__http__0"])
        .ToHashSet();
}
