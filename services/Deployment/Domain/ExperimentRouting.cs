using DomainPlatform.Contracts.Events;

namespace DomainPlatform.Deployment.Domain;

/// <summary>One arm of an experiment as the route table serves it: a variant name, a model version and its share in percent.</summary>
public sealed record ExperimentArm(string Name, string ModelVersion, double WeightPercent);

/// <summary>
/// What deployment last heard about a domain's experiment (ExperimentTrafficChanged). While it is in effect (running,
/// or pinned to the control after an emergency rollback) its arms replace the deployment's stable/canary split.
/// </summary>
public sealed record ExperimentSplit(Guid ExperimentId, int Phase, string Status, IReadOnlyList<ExperimentArm> Arms, DateTime OccurredAt)
{
    public const string Running = "running";
    public const string RolledBack = "rolled_back";

    /// <summary>
    /// A stopped or concluded experiment gives the domain back to its deployment route; so does a rolled-back one once
    /// deployment moves the domain's traffic itself (it is then "released").
    /// </summary>
    public bool InEffect => Status is Running or RolledBack;

    /// <summary>The arms that take traffic, in the experiment's order (control first); none when not in effect.</summary>
    public IReadOnlyList<ExperimentArm> ServingArms => InEffect ? Arms.Where(a => a.WeightPercent > 0).ToList() : [];

    /// <summary>Fixed for the whole experiment, so a weight change moves only the users whose bucket crosses a moved boundary.</summary>
    public string Salt => $"experiment-{ExperimentId}";
}

/// <summary>Pure rules for taking an experiment's traffic split into the route table.</summary>
public static class ExperimentRouting
{
    public static readonly IReadOnlyList<string> KnownStatuses = ["draft", Running, "stopped", "concluded", RolledBack];

    private const string Running = ExperimentSplit.Running;
    private const string RolledBack = ExperimentSplit.RolledBack;

    public static ExperimentSplit FromEvent(ExperimentTrafficChanged evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        return new ExperimentSplit(evt.ExperimentId, evt.Phase, evt.Status,
            (evt.Variants ?? []).Select(v => new ExperimentArm(v.Name, v.ModelVersion, v.WeightPercent)).ToList(),
            evt.OccurredAt.UtcDateTime);
    }

    /// <summary>Why the event cannot be applied (empty when it can): the split must be servable by the gateway.</summary>
    public static IReadOnlyList<string> Validate(ExperimentSplit split)
    {
        ArgumentNullException.ThrowIfNull(split);
        var errors = new List<string>();
        if (split.ExperimentId == Guid.Empty) errors.Add("The experiment id is empty.");
        if (!KnownStatuses.Contains(split.Status)) errors.Add($"Unknown experiment status '{split.Status}'.");
        if (split.Phase < 0) errors.Add($"Phase {split.Phase} is negative.");
        if (!split.InEffect) return errors;

        if (split.Arms.Count == 0) errors.Add("A running experiment names no arms.");
        foreach (var arm in split.Arms)
        {
            if (string.IsNullOrWhiteSpace(arm.Name)) errors.Add("An arm has no name.");
            if (!SemanticVersion.TryParse(arm.ModelVersion, out _)) errors.Add($"Arm '{arm.Name}' names '{arm.ModelVersion}', not a MAJOR.MINOR.PATCH version.");
            if (!double.IsFinite(arm.WeightPercent) || arm.WeightPercent < 0 || arm.WeightPercent > 100)
            {
                errors.Add($"Arm '{arm.Name}' has weight {arm.WeightPercent}; weights lie in [0, 100].");
            }
        }
        foreach (var name in split.Arms.GroupBy(a => a.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            errors.Add($"Arm '{name.Key}' appears more than once.");
        }
        if (split.Arms.Count > 0 && split.Arms.All(a => !(a.WeightPercent > 0))) errors.Add("No arm has traffic.");
        return errors;
    }

    /// <summary>
    /// Whether <paramref name="incoming"/> is newer than what deployment holds. Events of one experiment are ordered by
    /// phase, then running before its end (an end keeps the phase); events of different experiments by when they happened.
    /// A redelivered or overtaken event is not newer, so it changes nothing.
    /// </summary>
    public static bool Supersedes(ExperimentSplit? current, ExperimentSplit incoming)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        if (current is null) return true;
        if (current.ExperimentId != incoming.ExperimentId) return incoming.OccurredAt > current.OccurredAt;
        if (incoming.Phase != current.Phase) return incoming.Phase > current.Phase;
        return Rank(incoming.Status) > Rank(current.Status);
    }

    /// <summary>Model versions a change stops serving: served before, not after (inference may unload them).</summary>
    public static IReadOnlyList<string> Drained(IEnumerable<string> servedBefore, IEnumerable<string> servedAfter) =>
        servedBefore.Except(servedAfter, StringComparer.Ordinal).Distinct(StringComparer.Ordinal).ToList();

    private static int Rank(string status) => status switch
    {
        "draft" => 0,
        Running => 1,
        _ => 2,
    };
}
