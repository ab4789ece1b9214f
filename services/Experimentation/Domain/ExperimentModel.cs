namespace DomainPlatform.Experimentation.Domain;

/// <summary>Lifecycle states of an experiment, as stored and shown.</summary>
public static class ExperimentStatus
{
    public const string Draft = "draft";
    public const string Running = "running";
    public const string Stopped = "stopped";
    public const string Concluded = "concluded";
    public const string RolledBack = "rolled_back";

    public static readonly IReadOnlyList<string> All = [Draft, Running, Stopped, Concluded, RolledBack];

    public static bool IsEnded(string status) => status is Stopped or Concluded or RolledBack;
}

/// <summary>One arm of an experiment: a model version and its share of the domain's traffic (percent, all arms sum to 100).</summary>
public sealed record Variant(string Name, string ModelVersion, double Weight);

/// <summary>A metric that must not get worse than control by more than a tolerated fraction (0 = any significant harm).</summary>
public sealed record Guardrail(string Metric, double MaxRelativeDegradation);
