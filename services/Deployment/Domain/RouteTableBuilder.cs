using DomainPlatform.Contracts.Events;

namespace DomainPlatform.Deployment.Domain;

/// <summary>
/// What serves one active domain: its stable version and, during a rollout, a canary with its weight; and the
/// domain's experiment split, which replaces both while it is in effect.
/// </summary>
public sealed record DomainServing(
    string Domain, IReadOnlyList<string> Keywords, string? StableVersion, string? CanaryVersion, double CanaryWeight, Guid? RolloutId,
    ExperimentSplit? Experiment = null, CacheSettings? Cache = null, int? MaxTokens = null, DateTimeOffset? CreatedAt = null);

/// <summary>Builds the route table the gateway follows, from what serves each domain.</summary>
public static class RouteTableBuilder
{
    public const string Destination = "inference";

    public static string ModelId(string domain, string version) => $"{domain}@{version}";

    public static IReadOnlyList<DomainRoute> Build(IEnumerable<DomainServing> domains) =>
        domains.OrderBy(d => d.Domain, StringComparer.Ordinal).Select(Route).ToList();

    public static DomainRoute Route(DomainServing d)
    {
        if (d.Experiment is { ServingArms: { Count: > 0 } arms } experiment)
        {
            // One source of truth: the experiment's arms enter the same table the gateway already follows.
            return new DomainRoute(d.Domain, [], d.Keywords, experiment.Salt,
                arms.Select(a => new RouteVariant(a.Name, a.ModelVersion, ModelId(d.Domain, a.ModelVersion), a.WeightPercent, Destination)).ToList(),
                Cache(d), d.MaxTokens, d.CreatedAt);
        }

        var variants = new List<RouteVariant>();
        var canaryWeight = d.CanaryVersion is null ? 0 : Math.Clamp(d.CanaryWeight, 0, 100);
        if (d.StableVersion is not null && canaryWeight < 100)
        {
            variants.Add(new RouteVariant("stable", d.StableVersion, ModelId(d.Domain, d.StableVersion), 100 - canaryWeight, Destination));
        }
        if (d.CanaryVersion is not null && (canaryWeight > 0 || d.StableVersion is null))
        {
            variants.Add(new RouteVariant("canary", d.CanaryVersion, ModelId(d.Domain, d.CanaryVersion), d.StableVersion is null ? 100 : canaryWeight, Destination));
        }
        // A new salt per rollout reshuffles which users land in the canary.
        var salt = d.RolloutId is { } id ? $"rollout-{id}" : d.Domain;
        return new DomainRoute(d.Domain, [], d.Keywords, salt, variants, Cache(d), d.MaxTokens, d.CreatedAt);
    }

    private static RouteCache? Cache(DomainServing d) => d.Cache is { } c ? new RouteCache(c.Enabled, c.TtlSeconds) : null;

    /// <summary>The model versions a domain's route sends traffic to.</summary>
    public static IReadOnlyList<string> ServedVersions(DomainServing d) =>
        Route(d).Variants.Where(v => v.WeightPercent > 0).Select(v => v.ModelVersion).Distinct(StringComparer.Ordinal).ToList();
}
