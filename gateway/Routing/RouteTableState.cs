using System.Collections.Frozen;
using DomainPlatform.Contracts.Events;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;

namespace DomainPlatform.Gateway.Routing;

/// <summary>Which YARP cluster serves a variant's destination: a service name (discovery) or an absolute URL.</summary>
public static class DestinationClusters
{
    public static string IdFor(string? destination)
    {
        if (string.IsNullOrWhiteSpace(destination)) return ServiceCatalog.Inference;
        var trimmed = destination.Trim();
        return Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? "url:" + uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant()
            : trimmed.ToLowerInvariant();
    }

    public static ClusterConfig ClusterFor(string destination, TimeSpan? circuitBreak = null, TimeSpan? timeout = null)
    {
        var id = IdFor(destination);
        var address = id.StartsWith("url:", StringComparison.Ordinal) ? id["url:".Length..] : $"http://{id}";
        return ProxyConfigBuilder.Cluster(id, address, timeout ?? ProxyConfigBuilder.InferenceTimeout, circuitBreak);
    }
}

/// <summary>
/// The route table and learned routing weights this gateway replica routes by. A table replaces the
/// current one unless its revision is older; the proxy's clusters are in place before requests can pick them.
/// </summary>
public sealed partial class RouteTableState(
    InMemoryConfigProvider proxyConfig, IProxyStateLookup proxyState, Microsoft.Extensions.Options.IOptions<GatewayOptions> options, ILogger<RouteTableState> logger)
{
    private static readonly TimeSpan ClusterReadyBudget = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile DomainRouteTable _table = DomainRouteTable.Empty;
    private volatile IReadOnlyDictionary<string, double> _weights = FrozenDictionary<string, double>.Empty;

    public DomainRouteTable Table => _table;

    public IReadOnlyDictionary<string, double> LearnedWeights => _weights;

    public bool IsLoaded => _table.Revision >= 0;

    public async Task<bool> ApplyAsync(long revision, IReadOnlyList<DomainRoute> routes, string source, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (revision < _table.Revision)
            {
                LogStale(revision, _table.Revision, source);
                return false;
            }
            var table = new DomainRouteTable(revision, routes);
            await EnsureClustersAsync(table, ct);
            _table = table;
            LogApplied(revision, table.Domains.Count, source);
            foreach (var domain in table.Domains.Where(d => d.Unservable is not null)) LogUnservable(domain.Id, domain.Unservable!);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void ApplyWeights(IReadOnlyDictionary<string, double> weights) =>
        _weights = weights.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private async Task EnsureClustersAsync(DomainRouteTable table, CancellationToken ct)
    {
        var current = proxyConfig.GetConfig();
        var needed = table.Destinations.Select(d => DestinationClusters.ClusterFor(d, options.Value.CircuitBreakDuration, options.Value.InferenceTimeout))
            .Where(c => current.Clusters.All(existing => existing.ClusterId != c.ClusterId)).ToList();
        if (needed.Count == 0) return;

        proxyConfig.Update(current.Routes, [.. current.Clusters, .. needed]);
        // YARP resolves new destinations asynchronously; wait so no request is routed to a cluster not built yet.
        var deadline = DateTime.UtcNow + ClusterReadyBudget;
        while (needed.Any(c => !proxyState.TryGetCluster(c.ClusterId, out _)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, ct);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Route table revision {Revision} applied from {Source}: {Domains} domains")]
    private partial void LogApplied(long revision, int domains, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ignored route table revision {Revision} from {Source}: revision {Current} is newer")]
    private partial void LogStale(long revision, long current, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Domain {Domain} cannot take traffic: {Reason}")]
    private partial void LogUnservable(string domain, string reason);
}
