namespace DomainPlatform.Deployment.Domain;

public enum RolloutStatus { Running, Paused, Succeeded, RolledBack, Aborted }

public enum AnalysisVerdict { Continue, Hold, Rollback }

/// <summary>How a canary moves: traffic percentages per step (strictly rising, ending at 100), and what each step needs.</summary>
public sealed record RolloutPolicy(IReadOnlyList<double> Steps, TimeSpan MinStepDuration, long MinSamples)
{
    public static IReadOnlyList<double> DefaultSteps { get; } = [1, 10, 50, 100];

    public static Dictionary<string, string[]> Validate(IReadOnlyList<double> steps, TimeSpan minStepDuration, long minSamples)
    {
        var errors = new Dictionary<string, string[]>();
        if (steps.Count < 2) errors["steps"] = ["At least two steps are needed: one canary weight and the final 100."];
        else if (steps.Any(s => !(s > 0 && s <= 100))) errors["steps"] = ["Each step is a traffic percentage above 0 and at most 100."];
        else if (steps.Zip(steps.Skip(1)).Any(p => p.Second <= p.First)) errors["steps"] = ["Steps must rise strictly."];
        else if (steps[^1] != 100) errors["steps"] = ["The last step must be 100 (full promotion)."];
        if (minStepDuration < TimeSpan.Zero) errors["minStepSeconds"] = ["minStepSeconds cannot be negative."];
        if (minSamples < 0) errors["minSamples"] = ["minSamples cannot be negative."];
        return errors;
    }
}

/// <summary>Where a rollout is: its status, its step, and when that step began (UTC).</summary>
public sealed record RolloutState(RolloutStatus Status, int StepIndex, DateTime StepStartedAt)
{
    public bool IsActive => Status is RolloutStatus.Running or RolloutStatus.Paused;
}

public enum RolloutAction { Advance, Hold, Complete, RollBack, Pause, Resume, Abort }

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
        _ => policy.Steps[state.StepIndex],
    };

    /// <summary>Whether the current step has run long enough for an analysis to be able to move it.</summary>
    public static bool IsDue(RolloutPolicy policy, RolloutState state, DateTime now) =>
        state.Status == RolloutStatus.Running && now - state.StepStartedAt >= policy.MinStepDuration;

    /// <summary>Applies an analysis verdict, with the candidate's sample count in the current step.</summary>
    public static RolloutTransition OnVerdict(
        RolloutPolicy policy, RolloutState state, AnalysisVerdict verdict, long candidateSamples, DateTime now, string reason)
    {
        if (state.Status != RolloutStatus.Running)
        {
            throw new InvalidRolloutTransitionException($"A {state.Status} rollout takes no verdicts.");
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
            return Stay(state, weight, $"hold: step has run {elapsed.TotalSeconds:F0}s of the {policy.MinStepDuration.TotalSeconds:F0}s minimum");
        }
        if (candidateSamples < policy.MinSamples)
        {
            return Stay(state, weight, $"hold: {candidateSamples} candidate samples of the {policy.MinSamples} minimum");
        }
        return Next(policy, state, now, RolloutAction.Advance, $"continue: {reason}");
    }

    /// <summary>Manual promotion: moves to the next step at once, whatever the analysis says.</summary>
    public static RolloutTransition Promote(RolloutPolicy policy, RolloutState state, DateTime now, string reason)
    {
        if (!state.IsActive) throw new InvalidRolloutTransitionException($"A {state.Status} rollout cannot be promoted.");
        return Next(policy, state with { Status = RolloutStatus.Running }, now, RolloutAction.Advance, $"manual promote: {reason}");
    }

    public static RolloutTransition Pause(RolloutPolicy policy, RolloutState state, string reason)
    {
        if (state.Status != RolloutStatus.Running) throw new InvalidRolloutTransitionException($"Only a running rollout can be paused; this one is {state.Status}.");
        var weight = WeightOf(policy, state);
        return new RolloutTransition(state with { Status = RolloutStatus.Paused },
            new RolloutDecision(RolloutAction.Pause, state.StepIndex, state.StepIndex, weight, weight, $"paused: {reason}"));
    }

    /// <summary>Resuming restarts the step's clock: outcomes seen while paused do not count towards it.</summary>
    public static RolloutTransition Resume(RolloutPolicy policy, RolloutState state, DateTime now, string reason)
    {
        if (state.Status != RolloutStatus.Paused) throw new InvalidRolloutTransitionException($"Only a paused rollout can be resumed; this one is {state.Status}.");
        var weight = WeightOf(policy, state);
        return new RolloutTransition(state with { Status = RolloutStatus.Running, StepStartedAt = now },
            new RolloutDecision(RolloutAction.Resume, state.StepIndex, state.StepIndex, weight, weight, $"resumed: {reason}"));
    }

    public static RolloutTransition Abort(RolloutPolicy policy, RolloutState state, DateTime now, string reason)
    {
        if (!state.IsActive) throw new InvalidRolloutTransitionException($"A {state.Status} rollout cannot be aborted.");
        return Finish(state, RolloutStatus.Aborted, RolloutAction.Abort, WeightOf(policy, state), now, $"aborted: {reason}");
    }

    private static RolloutTransition Next(RolloutPolicy policy, RolloutState state, DateTime now, RolloutAction action, string reason)
    {
        var from = WeightOf(policy, state);
        var nextIndex = state.StepIndex + 1;
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
