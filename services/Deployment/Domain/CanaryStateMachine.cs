namespace DomainPlatform.Deployment.Domain;

/// <summary>A rollout's state; written in the platform's one spelling of statuses (running, rolled_back) wherever it leaves the service, stored by name.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(StatusConverter<RolloutStatus>))]
public enum RolloutStatus { Running, Paused, Succeeded, RolledBack, Aborted }

public enum AnalysisVerdict { Continue, Hold, Rollback }

/// <summary>How a canary moves: traffic percentages per step (strictly rising, ending at 100), and what each step needs.</summary>
public sealed record RolloutPolicy(IReadOnlyList<double> Steps, TimeSpan MinStepDuration, long MinSamples)
{
    public static IReadOnlyList<double> DefaultSteps { get; } = [1, 10, 50, 100];

    /// <summary>The analysis compares at least two samples a side.</summary>
    public const long MinimumSamples = 2;
    public const long MaximumSamples = 1_000_000_000;
    public const double MaxMinStepSeconds = 7 * 24 * 3600;

    public static Dictionary<string, string[]> Validate(IReadOnlyList<double> steps, TimeSpan minStepDuration, long minSamples) =>
        Validate(steps, minStepDuration.TotalSeconds, minSamples);

    public static Dictionary<string, string[]> Validate(IReadOnlyList<double> steps, double minStepSeconds, long minSamples)
    {
        var errors = new Dictionary<string, string[]>();
        if (steps.Count < 2) errors["steps"] = ["At least two steps are needed: one canary weight and the final 100."];
        else if (steps.Any(s => !(s > 0 && s <= 100))) errors["steps"] = ["Each step is a traffic percentage above 0 and at most 100."];
        else if (steps.Zip(steps.Skip(1)).Any(p => p.Second <= p.First)) errors["steps"] = ["Steps must rise strictly."];
        else if (steps[^1] != 100) errors["steps"] = ["The last step must be 100 (full promotion)."];
        if (!(minStepSeconds >= 0 && minStepSeconds <= MaxMinStepSeconds)) errors["minStepSeconds"] = ["minStepSeconds is between 0 and 604800 (7 days)."];
        if (minSamples is < MinimumSamples or > MaximumSamples)
            errors["minSamples"] = ["minSamples is between 2 and 1,000,000,000 (the analysis compares at least two samples a side)."];
        return errors;
    }

    /// <summary>Why a canary weight set by hand is not allowed, or null: above 0 and below 100 (promote completes, abort ends).</summary>
    public static string? WeightRefusal(double weight) =>
        weight is > 0 and < 100 ? null : "A canary weight is a percentage above 0 and below 100: promote the rollout to complete it, abort it to send all traffic back.";
}

/// <summary>
/// Where a rollout is: its status, its step, and when that step (its analysis phase) began (UTC). A weight set by hand
/// (<see cref="ManualWeight"/>) replaces the step's planned weight until the rollout moves on; <see cref="StepIndex"/>
/// is then the highest planned step below it (0 when none is).
/// </summary>
public sealed record RolloutState(RolloutStatus Status, int StepIndex, DateTime StepStartedAt, double? ManualWeight = null)
{
    public bool IsActive => Status is RolloutStatus.Running or RolloutStatus.Paused;
}

public enum RolloutAction { Advance, Hold, Complete, RollBack, Pause, Resume, Abort, SetWeight, StepDown }

/// <summary>What the machine decided and why; the weights are the canary's traffic before and after.</summary>
public sealed record RolloutDecision(RolloutAction Action, int FromStep, int ToStep, double FromWeight, double ToWeight, string Reason)
{
    /// <summary>Whether the decision moves traffic (route table and deployment change).</summary>
    public bool MovesTraffic => FromWeight != ToWeight || Action is RolloutAction.Complete or RolloutAction.RollBack or RolloutAction.Abort;
}

public sealed record RolloutTransition(RolloutState Next, RolloutDecision Decision);

public sealed class InvalidRolloutTransitionException(string message) : InvalidOperationException(message);

/// <summary>
/// The canary state machine: pure, so every rule is tested without a clock or a database. Reaching the last
/// step (100%) completes the rollout: the candidate becomes stable. The weight of a finished rollout is 0
/// after a rollback or abort, 100 after completion.
/// </summary>
public static class CanaryStateMachine
{
    public static double WeightOf(RolloutPolicy policy, RolloutState state) => state.Status switch
    {
        RolloutStatus.Succeeded => 100,
        RolloutStatus.RolledBack or RolloutStatus.Aborted => 0,
        _ => state.ManualWeight ?? policy.Steps[state.StepIndex],
    };

    /// <summary>
    /// An operator sets the canary's weight: traffic moves at once and a new analysis phase starts (the step's clock and
    /// its samples count from now), so evidence gathered at the old split is never judged at the new one. A weight that
    /// is a planned step puts the rollout back on its plan; the next advance goes to the first planned step above it.
    /// A paused rollout stays paused.
    /// </summary>
    public static RolloutTransition SetWeight(RolloutPolicy policy, RolloutState state, double weight, DateTime now, string reason)
    {
        if (!state.IsActive) throw new InvalidRolloutTransitionException($"A rollout that is {StatusConverter<RolloutStatus>.Name(state.Status)} has no canary weight to set.");
        if (RolloutPolicy.WeightRefusal(weight) is { } refusal) throw new ArgumentOutOfRangeException(nameof(weight), weight, refusal);
        var from = WeightOf(policy, state);
        if (weight == from) throw new InvalidRolloutTransitionException($"The canary already takes {weight}% of the traffic.");
        var planned = IndexOf(policy.Steps, weight);
        var next = planned >= 0
            ? state with { StepIndex = planned, StepStartedAt = now, ManualWeight = null }
            : state with { StepIndex = Math.Max(0, policy.Steps.Count(s => s < weight) - 1), StepStartedAt = now, ManualWeight = weight };
        return new RolloutTransition(next,
            new RolloutDecision(RolloutAction.SetWeight, state.StepIndex, next.StepIndex, from, weight, $"weight set from {from}% to {weight}%: {reason}"));
    }

    private static int IndexOf(IReadOnlyList<double> steps, double weight)
    {
        for (var i = 0; i < steps.Count; i++) if (steps[i] == weight) return i;
        return -1;
    }

    /// <summary>Whether the current step has run long enough for an analysis to be able to move it.</summary>
    public static bool IsDue(RolloutPolicy policy, RolloutState state, DateTime now) =>
        state.Status == RolloutStatus.Running && now - state.StepStartedAt >= policy.MinStepDuration;

    /// <summary>Applies an analysis verdict, with the candidate's sample count in the current step.</summary>
    public static RolloutTransition OnVerdict(
        RolloutPolicy policy, RolloutState state, AnalysisVerdict verdict, long candidateSamples, DateTime now, string reason)
    {
        if (state.Status != RolloutStatus.Running)
        {
            throw new InvalidRolloutTransitionException($"A rollout that is {StatusConverter<RolloutStatus>.Name(state.Status)} takes no verdicts.");
        }
        var weight = WeightOf(policy, state);
        switch (verdict)
        {
            case AnalysisVerdict.Rollback:
                return Finish(state, RolloutStatus.RolledBack, RolloutAction.RollBack, weight, now, $"rollback: {reason}");
            case AnalysisVerdict.Hold:
                return Stay(state, weight, $"hold: {reason}");
        }

        var elapsed = now - state.StepStartedAt;
        if (elapsed < policy.MinStepDuration)
        {
            return Stay(state, weight, $"hold: step has run {elapsed.TotalSeconds:F0}s of the {policy.MinStepDuration.TotalSeconds:F0}s minimum (minStepSeconds)");
        }
        if (candidateSamples < policy.MinSamples)
        {
            return Stay(state, weight, $"hold: {candidateSamples} candidate samples of the {policy.MinSamples} minimum (minSamples)");
        }
        return Next(policy, state, now, RolloutAction.Advance, $"continue: {reason}");
    }

    /// <summary>Manual promotion: moves to the next step at once, whatever the analysis says.</summary>
    public static RolloutTransition Promote(RolloutPolicy policy, RolloutState state, DateTime now, string reason)
    {
        if (!state.IsActive) throw new InvalidRolloutTransitionException($"A rollout that is {StatusConverter<RolloutStatus>.Name(state.Status)} cannot be promoted.");
        return Next(policy, state with { Status = RolloutStatus.Running }, now, RolloutAction.Advance, $"manual promote: {reason}");
    }

    public static RolloutTransition Pause(RolloutPolicy policy, RolloutState state, string reason)
    {
        if (state.Status != RolloutStatus.Running) throw new InvalidRolloutTransitionException($"Only a running rollout can be paused; this one is {StatusConverter<RolloutStatus>.Name(state.Status)}.");
        var weight = WeightOf(policy, state);
        return new RolloutTransition(state with { Status = RolloutStatus.Paused },
            new RolloutDecision(RolloutAction.Pause, state.StepIndex, state.StepIndex, weight, weight, $"paused: {reason}"));
    }

    /// <summary>Resuming restarts the step's clock: outcomes seen while paused do not count towards it.</summary>
    public static RolloutTransition Resume(RolloutPolicy policy, RolloutState state, DateTime now, string reason)
    {
        if (state.Status != RolloutStatus.Paused) throw new InvalidRolloutTransitionException($"Only a paused rollout can be resumed; this one is {StatusConverter<RolloutStatus>.Name(state.Status)}.");
        var weight = WeightOf(policy, state);
        return new RolloutTransition(state with { Status = RolloutStatus.Running, StepStartedAt = now },
            new RolloutDecision(RolloutAction.Resume, state.StepIndex, state.StepIndex, weight, weight, $"resumed: {reason}"));
    }

    public static RolloutTransition Abort(RolloutPolicy policy, RolloutState state, DateTime now, string reason)
    {
        if (!state.IsActive) throw new InvalidRolloutTransitionException($"A rollout that is {StatusConverter<RolloutStatus>.Name(state.Status)} cannot be aborted.");
        return Finish(state, RolloutStatus.Aborted, RolloutAction.Abort, WeightOf(policy, state), now, $"aborted: {reason}");
    }

    /// <summary>
    /// An emergency: all of the canary's traffic back to the stable version at once, running or paused.
    /// </summary>
    public static RolloutTransition RollBackNow(RolloutPolicy policy, RolloutState state, DateTime now, string reason)
    {
        if (!state.IsActive) throw new InvalidRolloutTransitionException($"A {state.Status} rollout has nothing to roll back.");
        return Finish(state, RolloutStatus.RolledBack, RolloutAction.RollBack, WeightOf(policy, state), now, reason);
    }

    /// <summary>
    /// A gradual rollback's step (a WARNING about the canary): the weight goes down to the planned step below it, and
    /// from the first step to 0, which ends the rollout as rolled back. A new analysis phase starts at the lower weight.
    /// </summary>
    public static RolloutTransition StepDown(RolloutPolicy policy, RolloutState state, DateTime now, string reason)
    {
        if (!state.IsActive) throw new InvalidRolloutTransitionException($"A {state.Status} rollout has no weight to lower.");
        var from = WeightOf(policy, state);
        var below = policy.Steps.Where(s => s < from && s < 100).DefaultIfEmpty(0).Max();
        return ToWeight(policy, state, below, now, reason);
    }

    /// <summary>
    /// Lowers the canary to <paramref name="weight"/> (a step of a gradual rollback); 0 ends the rollout as rolled back.
    /// The status (running or paused) is kept, and a new analysis phase starts.
    /// </summary>
    public static RolloutTransition ToWeight(RolloutPolicy policy, RolloutState state, double weight, DateTime now, string reason)
    {
        if (!state.IsActive) throw new InvalidRolloutTransitionException($"A {state.Status} rollout has no weight to lower.");
        var from = WeightOf(policy, state);
        if (!(weight >= 0 && weight < from)) throw new ArgumentOutOfRangeException(nameof(weight), weight, $"A rollback lowers the weight: below {from}%, 0 or more.");
        if (weight == 0) return Finish(state, RolloutStatus.RolledBack, RolloutAction.RollBack, from, now, $"{reason}: weight {from}% to 0");
        var planned = IndexOf(policy.Steps, weight);
        var next = planned >= 0
            ? state with { StepIndex = planned, StepStartedAt = now, ManualWeight = null }
            : state with { StepIndex = Math.Max(0, policy.Steps.Count(s => s < weight) - 1), StepStartedAt = now, ManualWeight = weight };
        return new RolloutTransition(next, new RolloutDecision(RolloutAction.StepDown, state.StepIndex, next.StepIndex, from, weight, $"{reason}: weight {from}% to {weight}%"));
    }

    private static RolloutTransition Next(RolloutPolicy policy, RolloutState state, DateTime now, RolloutAction action, string reason)
    {
        var from = WeightOf(policy, state);
        // The first planned step above the current weight: the next step, or after a weight set by hand the one above it.
        var nextIndex = 0;
        while (nextIndex < policy.Steps.Count - 1 && policy.Steps[nextIndex] <= from) nextIndex++;
        if (nextIndex >= policy.Steps.Count - 1)
        {
            // The last step is 100%: reaching it is the promotion of the candidate to stable.
            var last = policy.Steps.Count - 1;
            return new RolloutTransition(new RolloutState(RolloutStatus.Succeeded, last, now),
                new RolloutDecision(RolloutAction.Complete, state.StepIndex, last, from, 100, reason));
        }
        return new RolloutTransition(new RolloutState(RolloutStatus.Running, nextIndex, now),
            new RolloutDecision(action, state.StepIndex, nextIndex, from, policy.Steps[nextIndex], reason));
    }

    private static RolloutTransition Stay(RolloutState state, double weight, string reason) =>
        new(state, new RolloutDecision(RolloutAction.Hold, state.StepIndex, state.StepIndex, weight, weight, reason));

    private static RolloutTransition Finish(RolloutState state, RolloutStatus status, RolloutAction action, double weight, DateTime now, string reason) =>
        new(new RolloutState(status, state.StepIndex, now), new RolloutDecision(action, state.StepIndex, state.StepIndex, weight, 0, reason));

    public static AnalysisVerdict ParseVerdict(string? verdict) => verdict?.Trim().ToLowerInvariant() switch
    {
        "continue" => AnalysisVerdict.Continue,
        "rollback" => AnalysisVerdict.Rollback,
        // Anything unrecognised is treated as the safe choice: keep the step as it is.
        _ => AnalysisVerdict.Hold,
    };
}
