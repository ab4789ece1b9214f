namespace DomainPlatform.Contracts.Events;

/// <summary>A model version now serves a domain in the given role ("stable" or "canary") with a traffic weight.</summary>
[EventName("domainplatform.model-deployed")]
public sealed record ModelDeployed(string Domain, string Version, string Role, double WeightPercent) : IntegrationEvent;

/// <summary>The full route table after a change; consumers replace their copy when <see cref="Revision"/> is newer.</summary>
[EventName("domainplatform.route-table-changed")]
public sealed record RouteTableChanged(long Revision, IReadOnlyList<DomainRoute> Domains) : IntegrationEvent;

public sealed record DomainRoute(
    string Domain,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<string> Keywords,
    string Salt,
    IReadOnlyList<RouteVariant> Variants,
    RouteCache? Cache = null);

/// <summary>The domain's response-cache settings for the gateway (absent: the gateway's own defaults apply).</summary>
public sealed record RouteCache(bool Enabled, int TtlSeconds);

public sealed record RouteVariant(string Name, string ModelVersion, string ModelId, double WeightPercent, string Destination);

/// <summary>Traffic of a domain went back from one version to another, with the reason.</summary>
[EventName("domainplatform.rollback-performed")]
public sealed record RollbackPerformed(
    string Domain,
    string FromVersion,
    string ToVersion,
    string Reason,
    Guid? RolloutId) : IntegrationEvent;
