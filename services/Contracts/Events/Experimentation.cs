namespace DomainPlatform.Contracts.Events;

/// <summary>An experiment ended with a decision; with <see cref="DeployWinner"/> deployment promotes the winner.</summary>
[EventName("domainplatform.experiment-concluded")]
public sealed record ExperimentConcluded(
    Guid ExperimentId,
    string Domain,
    string Outcome,
    string? WinnerVariant,
    string? WinnerModelVersion,
    bool DeployWinner,
    string Reason) : IntegrationEvent;

/// <summary>The verdict of a canary analysis step: "continue", "hold" or "rollback", with why.</summary>
[EventName("domainplatform.canary-verdict")]
public sealed record CanaryVerdict(
    Guid RolloutId,
    string Domain,
    string BaselineVersion,
    string CandidateVersion,
    string Verdict,
    string Reason) : IntegrationEvent;

/// <summary>A monitored metric crossed a threshold.</summary>
[EventName("domainplatform.alert-raised")]
public sealed record AlertRaised(
    Guid AlertId,
    string Level,
    string? Domain,
    Guid? ExperimentId,
    [property: System.ComponentModel.Description("What the alert is about: error_rate or latency_ms (the monitor's level ladder), guardrail or failure-criteria " +
                                                 "(an experiment stopped or rolled back), or sla:<target> for a domain's SLA target breached, or met again at INFO " +
                                                 "(sla:latency_p95_ms, sla:error_rate, sla:availability, sla:accuracy; value and threshold are the figure and the target), " +
                                                 "or forecast:error_rate / forecast:latency_ms for a forecast that reaches the critical limit within the horizon " +
                                                 "(WARNING, without a modelVersion so that no traffic moves on it; INFO when it no longer does; value is the current figure).")]
    string Metric,
    double Value,
    double Threshold,
    string Message,
    [property: System.ComponentModel.Description("The model version the alert is about (the monitor watches each version of a domain). Null for an alert about no one version, and from publishers before the field.")]
    string? ModelVersion = null) : IntegrationEvent;

/// <summary>Learned weights the gateway's "auto" router blends with keyword scores.</summary>
[EventName("domainplatform.routing-weights-updated")]
public sealed record RoutingWeightsUpdated(IReadOnlyDictionary<string, double> Weights) : IntegrationEvent;

/// <summary>
/// The traffic split of an experiment changed (start, weight change, emergency rollback, end). Deployment, which owns
/// the route table, loads the arms and puts them in the domain's route while <see cref="Status"/> is "running" (after
/// "rolled_back" only the control, at 100%), and gives the domain back to its deployment route otherwise.
/// </summary>
[EventName("domainplatform.experiment-traffic-changed")]
public sealed record ExperimentTrafficChanged(
    Guid ExperimentId,
    string Domain,
    string Status,
    int Phase,
    IReadOnlyList<ExperimentVariantWeight> Variants) : IntegrationEvent;

public sealed record ExperimentVariantWeight(string Name, string ModelVersion, double WeightPercent);
