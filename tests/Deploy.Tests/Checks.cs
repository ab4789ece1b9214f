using k8s.Models;

namespace DomainPlatform.Deploy.Tests;

/// <summary>The rules a set of manifests must keep, each returning what breaks it (empty: none), so tests can show
/// both that the repository's manifests keep them and that a broken manifest is caught.</summary>
public static class Checks
{
    public const string Registry = "registry.example.com";

    public static List<string> ProbesAndResources(IReadOnlyCollection<Manifest> manifests)
    {
        var problems = new List<string>();
        foreach (var deployment in manifests.OfKind<V1Deployment>())
        {
            foreach (var container in deployment.Spec.Template.Spec.Containers)
            {
                var where = $"{deployment.Metadata.Name}/{container.Name}";
                var http = container.Ports?.SingleOrDefault(p => p.Name == "http");
                if (http is null) problems.Add($"{where}: no container port named http");
                if (container.ReadinessProbe?.HttpGet is not { Path: "/health" } readiness || readiness.Port?.ToString() != "http")
                {
                    problems.Add($"{where}: readiness probe is not GET /health on port http");
                }
                if (container.LivenessProbe?.HttpGet is not { Path: "/alive" } liveness || liveness.Port?.ToString() != "http")
                {
                    problems.Add($"{where}: liveness probe is not GET /alive on port http");
                }
                foreach (var resource in new[] { "cpu", "memory" })
                {
                    var request = container.Resources?.Requests.Get(resource);
                    var limit = container.Resources?.Limits.Get(resource);
                    if (request is null || limit is null) problems.Add($"{where}: {resource} needs a request and a limit");
                    else if (limit.ToDecimal() < request.ToDecimal()) problems.Add($"{where}: {resource} limit {limit} below its request {request}");
                }
            }
        }
        return problems;
    }

    /// <summary>Each service's container starts with exactly the ConnectionStrings__* and services__* the AppHost gives
    /// it, connection strings from a Secret, discovery pointing at the referenced Service's port of that name, and
    /// Kestrel on the container's ports.</summary>
    public static List<string> EnvironmentContract(IReadOnlyCollection<Manifest> manifests)
    {
        var problems = new List<string>();
        foreach (var service in Topology.Services)
        {
            if (manifests.OfKind<V1Deployment>().SingleOrDefault(d => d.Metadata.Name == service) is not { } deployment)
            {
                problems.Add($"{service}: no Deployment");
                continue;
            }
            var container = deployment.Spec.Template.Spec.Containers.Single(c => c.Name == service);
            Dictionary<string, string> environment;
            try { environment = manifests.Environment(container); }
            catch (InvalidDataException e) { problems.Add(e.Message); continue; }

            var connectionStrings = environment.Keys.Where(k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal)).ToHashSet();
            if (!connectionStrings.SetEquals(Topology.ConnectionStrings(service)))
            {
                problems.Add($"{service}: ConnectionStrings {string.Join(", ", connectionStrings.Order())}; the AppHost gives {string.Join(", ", Topology.ConnectionStrings(service).Order())}");
            }
            var secretKeys = (container.EnvFrom ?? []).Where(s => s.SecretRef is not null)
                .SelectMany(s => manifests.OfKind<V1Secret>().Single(x => x.Metadata.Name == s.SecretRef.Name).StringData?.Keys ?? []).ToHashSet();
            foreach (var key in connectionStrings.Where(k => !secretKeys.Contains(k))) problems.Add($"{service}: {key} does not come from a Secret");
            if (service == "gateway" && !secretKeys.Contains("Platform__AssignmentKeySecret")) problems.Add("gateway: Platform__AssignmentKeySecret does not come from a Secret");

            var discovery = environment.Where(e => e.Key.StartsWith("services__", StringComparison.Ordinal)).ToDictionary();
            if (!discovery.Keys.ToHashSet().SetEquals(Topology.Discovery(service)))
            {
                problems.Add($"{service}: discovery {string.Join(", ", discovery.Keys.Order())}; the AppHost gives {string.Join(", ", Topology.Discovery(service).Order())}");
            }
            foreach (var (key, value) in discovery)
            {
                var parts = key.Split("__"); // services, name, endpoint, 0
                var target = manifests.OfKind<V1Service>().SingleOrDefault(s => s.Metadata.Name == parts[1]);
                var port = target?.Spec.Ports.SingleOrDefault(p => p.Name == parts[2]);
                if (port is null || value != $"http://{parts[1]}:{port.Port}") problems.Add($"{service}: {key}={value} is no port {parts[2]} of a Service {parts[1]}");
            }
            foreach (var port in container.Ports ?? [])
            {
                var url = environment.GetValueOrDefault($"Kestrel__Endpoints__{port.Name}__Url");
                if (url != $"http://0.0.0.0:{port.ContainerPort}") problems.Add($"{service}: Kestrel endpoint {port.Name} is {url ?? "unset"}, not all interfaces on {port.ContainerPort}");
            }
        }
        return problems;
    }

    /// <summary>A default deny; each service's policy lets in exactly its callers' pods (plus Prometheus, plus the
    /// ingress controller for the gateway alone) and lets out exactly to the services it references; only the gateway
    /// has an Ingress, which keeps its /metrics, /health and /alive inside, and no Service is exposed past the cluster.</summary>
    public static List<string> NetworkPolicies(IReadOnlyCollection<Manifest> manifests)
    {
        var problems = new List<string>();
        var policies = manifests.OfKind<V1NetworkPolicy>().ToList();
        if (!policies.Any(p => p.Spec.PodSelector.MatchLabels is null or { Count: 0 } && p.Spec.PodSelector.MatchExpressions is null or { Count: 0 }
                               && p.Spec.PolicyTypes.Contains("Ingress") && p.Spec.PolicyTypes.Contains("Egress")
                               && p.Spec.Ingress is null or { Count: 0 } && p.Spec.Egress is null or { Count: 0 }))
        {
            problems.Add("no default-deny NetworkPolicy (all pods, Ingress and Egress, no rules)");
        }
        foreach (var service in Topology.Services)
        {
            var own = policies.Where(p => p.Spec.PodSelector.MatchLabels.Get("app.kubernetes.io/name") == service).ToList();
            if (own.Count != 1) { problems.Add($"{service}: {own.Count} NetworkPolicies select its pods, not 1"); continue; }
            var policy = own[0];
            var from = (policy.Spec.Ingress ?? []).SelectMany(rule => rule.FromProperty ?? []).ToList();
            var podsIn = from.Where(p => p.NamespaceSelector is null && p.PodSelector is not null)
                .Select(p => p.PodSelector.MatchLabels.Get("app.kubernetes.io/name") ?? "<any pod>").ToHashSet();
            if (!podsIn.SetEquals(Topology.Callers(service)))
            {
                problems.Add($"{service}: lets in {string.Join(", ", podsIn.Order())}; its callers are {string.Join(", ", Topology.Callers(service).Order())}");
            }
            if ((policy.Spec.Ingress ?? []).Any(rule => rule.FromProperty is null or { Count: 0 })) problems.Add($"{service}: an ingress rule lets in everyone");
            var namespacesIn = from.Where(p => p.NamespaceSelector is not null)
                .Select(p => p.NamespaceSelector.MatchLabels.Get("kubernetes.io/metadata.name") ?? "<any namespace>").ToHashSet();
            var expected = service == "gateway" ? new HashSet<string> { "monitoring", "ingress-nginx" } : ["monitoring"];
            if (!namespacesIn.SetEquals(expected)) problems.Add($"{service}: lets in namespaces {string.Join(", ", namespacesIn.Order())}, not {string.Join(", ", expected.Order())}");
            if (from.Any(p => p.IpBlock is not null)) problems.Add($"{service}: lets in an IP block");
            var podsOut = (policy.Spec.Egress ?? []).SelectMany(rule => rule.To ?? [])
                .Select(p => p.PodSelector?.MatchLabels.Get("app.kubernetes.io/name") ?? "<not a pod>").ToHashSet();
            if (!podsOut.SetEquals(Topology.References(service)))
            {
                problems.Add($"{service}: lets out to {string.Join(", ", podsOut.Order())}; it references {string.Join(", ", Topology.References(service).Order())}");
            }
        }
        foreach (var exposed in manifests.OfKind<V1Service>().Where(s => s.Spec.Type is not (null or "ClusterIP")))
        {
            problems.Add($"Service {exposed.Metadata.Name} is {exposed.Spec.Type}: only the gateway, through the Ingress, is reachable from outside");
        }
        var backends = manifests.OfKind<V1Ingress>()
            .SelectMany(i => (i.Spec.Rules ?? []).SelectMany(r => r.Http?.Paths ?? []).Select(p => p.Backend.Service?.Name ?? "<not a Service>")
                .Concat(i.Spec.DefaultBackend is { } d ? [d.Service?.Name ?? "<not a Service>"] : []))
            .ToHashSet();
        if (!backends.SetEquals(["gateway"])) problems.Add($"Ingress backends are {string.Join(", ", backends.Order())}, not the gateway alone");
        foreach (var path in manifests.OfKind<V1Ingress>().SelectMany(i => (i.Spec.Rules ?? []).SelectMany(r => r.Http?.Paths ?? [])))
        {
            foreach (var own in new[] { "/metrics", "/health", "/alive" }.Where(own => own.StartsWith(path.Path ?? "/", StringComparison.Ordinal)))
            {
                problems.Add($"Ingress path {path.Path ?? "(none)"} exposes the gateway's {own}");
            }
        }
        foreach (var deployment in manifests.OfKind<V1Deployment>())
        {
            var spec = deployment.Spec.Template.Spec;
            if (spec.HostNetwork == true || spec.Containers.Any(c => (c.Ports ?? []).Any(p => p.HostPort is not null)))
            {
                problems.Add($"{deployment.Metadata.Name}: uses the host's network or ports");
            }
        }
        return problems;
    }

    private static TValue? Get<TKey, TValue>(this IDictionary<TKey, TValue>? map, TKey key) where TKey : notnull =>
        map is not null && map.TryGetValue(key, out var value) ? value : default;
}

public static class Problems
{
    /// <summary>Passes on none; fails naming every problem, one a line.</summary>
    public static void None(IReadOnlyCollection<string> problems) =>
        Assert.True(problems.Count == 0, $"{problems.Count} problem(s):\n{string.Join("\n", problems)}");
}
