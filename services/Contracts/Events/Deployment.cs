using System.ComponentModel;

namespace DomainPlatform.Contracts.Events;

/// <summary>A model version now serves a domain in the given role ("stable" or "canary") with a traffic weight.</summary>
[EventName("domainplatform.model-deployed")]
public sealed record ModelDeployed(string Domain, string Version, string Role, double WeightPercent) : IntegrationEvent;

/// <summary>The full route table after a change; consumers replace their copy when <see cref="Revision"/> is newer.</summary>
[EventName("domainplatform.route-table-changed")]
public sealed record RouteTableChanged(long Revision, IReadOnlyList<DomainRoute> Domains) : IntegrationEvent;

/// <param name="MaxTokens">The completion-token cap of the domain: the gateway's default and ceiling for <c>max_tokens</c> (absent: no cap from the domain).</param>
/// <param name="CreatedAt">When the domain was created (the <c>created</c> of its entry in <c>/v1/models</c>); absent from older publishers.</param>
public sealed record DomainRoute(
    string Domain,
    IReadOnlyList<string> Aliases,
    IReadOnlyList<string> Keywords,
    string Salt,
    IReadOnlyList<RouteVariant> Variants,
    RouteCache? Cache = null,
    [property: Description("The completion-token cap of the domain: the gateway uses it when max_tokens is absent or null and lowers a larger one to it. Null: no cap.")]
    int? MaxTokens = null,
    [property: Description("When the domain was created: the created time of its ids in /v1/models of the gateway. Null from older publishers.")]
    DateTimeOffset? CreatedAt = null);

/// <summary>The domain's response-cache settings for the gateway (absent: the gateway's own defaults apply).</summary>
public sealed record RouteCache(bool Enabled, int TtlSeconds);

public sealed record RouteVariant(string Name, string ModelVersion, string ModelId, double WeightPercent, string Destination);

/// <summary>Traffic of a domain went back from one version to another, with the reason and the kind of rollback.</summary>
[EventName("domainplatform.rollback-performed")]
public sealed record RollbackPerformed(
    string Domain,
    string FromVersion,
    string ToVersion,
    string Reason,
    Guid? RolloutId,
    [property: Description("What kind of rollback: emergency (all traffic back at once on an emergency), automatic (the verdict of a canary analysis or of the post-promotion watch), gradual (the canary weight lowered step by step to 0), manual (by an operator, immediate or gradual) or scheduled (at a time an operator chose). Null from publishers before the field.")]
    string? Type = null) : IntegrationEvent;

/// <summary>The kinds of rollback in <see cref="RollbackPerformed.Type"/>.</summary>
public static class RollbackTypes
{
    public const string Emergency = "emergency";
    public const string Automatic = "automatic";
    public const string Gradual = "gradual";
    public const string Manual = "manual";
    public const string Scheduled = "scheduled";
    public static readonly IReadOnlyList<string> All = [Emergency, Automatic, Gradual, Manual, Scheduled];
}
