using System.Collections.Frozen;
using DomainPlatform.Assignment;
using DomainPlatform.Contracts.Events;

namespace DomainPlatform.Gateway.Routing;

/// <summary>
/// One domain of the route table, ready to assign traffic: its variants and the split between them.
/// A domain whose variants cannot form a split (none, or all at weight 0) stays listed but cannot serve.
/// </summary>
public sealed class RoutableDomain
{
    public const string Stable = "stable";
    public const string Canary = "canary";

    private readonly CanarySplit? _canary;
    private readonly TrafficSplit? _split;

    public RoutableDomain(DomainRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        Route = route;
        var salt = string.IsNullOrEmpty(route.Salt) ? route.Domain : route.Salt;
        var serving = route.Variants.Where(v => v.WeightPercent > 0).ToList();
        if (serving.Count == 0)
        {
            Unservable = $"Domain '{route.Domain}' has no variant with traffic.";
            return;
        }

        try
        {
            if (IsStableAndCanary(route.Variants, out var stable, out var canary))
            {
                // Monotone ramp: raising the canary's share only ever moves users from stable to canary.
                var canaryPercent = 100.0 * canary.WeightPercent / (canary.WeightPercent + stable.WeightPercent);
                _canary = new CanarySplit(salt, canaryPercent);
            }
            else
            {
                _split = new TrafficSplit(salt, route.Variants.Select(v => new VariantWeight(v.Name, v.WeightPercent)));
            }
        }
        catch (ArgumentException ex)
        {
            Unservable = $"Domain '{route.Domain}' has an invalid split: {ex.Message}";
        }
    }

    public DomainRoute Route { get; }

    public string Id => Route.Domain;

    /// <summary>Why this domain cannot take traffic, or null when it can.</summary>
    public string? Unservable { get; }

    /// <summary>The variant that serves <paramref name="assignmentKey"/>: the same key, the same variant, while weights stay.</summary>
    public RouteVariant Assign(string assignmentKey)
    {
        if (Unservable is not null) throw new InvalidOperationException(Unservable);
        ArgumentException.ThrowIfNullOrEmpty(assignmentKey);
        var name = _canary is not null
            ? (_canary.IsCanary(assignmentKey) ? Canary : Stable)
            : _split!.Assign(assignmentKey);
        return FindVariant(name)!;
    }

    public RouteVariant? FindVariant(string name) =>
        Route.Variants.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase));

    private static bool IsStableAndCanary(IReadOnlyList<RouteVariant> variants, out RouteVariant stable, out RouteVariant canary)
    {
        stable = canary = null!;
        if (variants.Count != 2) return false;
        stable = variants.FirstOrDefault(v => v.Name == Stable)!;
        canary = variants.FirstOrDefault(v => v.Name == Canary)!;
        return stable is not null && canary is not null;
    }
}

/// <summary>The route table as the gateway uses it: domains by id and by alias (case-insensitive).</summary>
public sealed class DomainRouteTable
{
    private readonly FrozenDictionary<string, RoutableDomain> _byName;

    public DomainRouteTable(long revision, IEnumerable<DomainRoute> routes)
    {
        Revision = revision;
        Domains = routes.Select(r => new RoutableDomain(r)).OrderBy(d => d.Id, StringComparer.Ordinal).ToList();
        var byName = new Dictionary<string, RoutableDomain>(StringComparer.OrdinalIgnoreCase);
        foreach (var domain in Domains) byName[domain.Id] = domain;
        foreach (var domain in Domains)
        {
            // An id always wins over another domain's alias of the same spelling.
            foreach (var alias in domain.Route.Aliases) byName.TryAdd(alias, domain);
        }
        _byName = byName.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    public static DomainRouteTable Empty { get; } = new(-1, []);

    public long Revision { get; }

    public IReadOnlyList<RoutableDomain> Domains { get; }

    public RoutableDomain? Find(string idOrAlias) => _byName.GetValueOrDefault(idOrAlias);

    /// <summary>Every name <see cref="Find"/> resolves, with its domain: each domain's id, then its aliases that are not taken.</summary>
    public IEnumerable<(string Name, RoutableDomain Domain)> Names =>
        Domains.SelectMany(d => d.Route.Aliases.Prepend(d.Id).Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(name => ReferenceEquals(Find(name), d)).Select(name => (name, d)));

    /// <summary>Every distinct destination the variants name, for the proxy's clusters.</summary>
    public IReadOnlyList<string> Destinations =>
        Domains.SelectMany(d => d.Route.Variants).Select(v => v.Destination).Where(d => !string.IsNullOrWhiteSpace(d))
            .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
}
