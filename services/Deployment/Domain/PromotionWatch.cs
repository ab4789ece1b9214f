using System.Globalization;
using DomainPlatform.Contracts.Events;

namespace DomainPlatform.Deployment.Domain;

[System.Text.Json.Serialization.JsonConverter(typeof(StatusConverter<WatchStatus>))]
public enum WatchStatus { Watching, Passed, RolledBack, Ended }

/// <summary>
/// The watch of a version that became stable: against <see cref="PreviousVersion"/>'s outcomes from
/// <see cref="BaselineFrom"/> to <see cref="StartedAt"/> (the switch), until <see cref="Until"/> (UTC).
/// </summary>
public sealed record WatchState(
    string Version, string PreviousVersion, WatchStatus Status, DateTime StartedAt, DateTime Until, DateTime BaselineFrom,
    int FailedChecks = 0, string? LastVerdict = null, string LastReason = "", DateTime? LastCheckedAt = null, string? RollbackType = null)
{
    public bool IsWatching => Status == WatchStatus.Watching;
}

public enum WatchAction { Keep, Pass, RollBack }

/// <summary>What a check of the watch decided; <see cref="RollbackType"/> is set when it rolls back.</summary>
public sealed record WatchDecision(WatchState Next, WatchAction Action, string Reason, string? RollbackType = null);

/// <summary>
/// The watch after a promotion (the seeds' rollback manager): for the domain's <c>rollback.watchSeconds</c> after a version
/// becomes stable (a rollout's completion, an experiment's winner, a direct deployment) each check compares it with the
/// previous stable's baseline, and a degradation beyond the domain's limits rolls back to the previous stable. Pure.
/// </summary>
public static class PromotionWatch
{
    /// <summary>A new watch, or null when there is nothing to watch against (no previous stable) or the domain watches nothing (0 s).</summary>
    public static WatchState? Start(string version, string? previous, DateTime now, RollbackThresholds limits, string how)
    {
        if (previous is null || previous == version || !(limits.WatchSeconds > 0)) return null;
        var until = now + TimeSpan.FromSeconds(limits.WatchSeconds);
        var from = now - TimeSpan.FromSeconds(limits.WatchBaselineSeconds);
        return new WatchState(version, previous, WatchStatus.Watching, now, until, from,
            LastReason: string.Create(CultureInfo.InvariantCulture,
                $"watching {version} after {how} for {limits.WatchSeconds:0.###} s against {previous}'s last {limits.WatchBaselineSeconds:0.###} s before the switch"));
    }

    /// <summary>Whether a watching version is due for its next check.</summary>
    public static bool IsDue(WatchState state, DateTime now, TimeSpan interval) =>
        state.IsWatching && (state.LastCheckedAt is not { } last || now - last >= interval || now >= state.Until);

    /// <summary>
    /// Applies one check: a rollback verdict (automatic; emergency when the figures are critical) or an emergency (see
    /// <see cref="RollbackRules"/>) whatever the verdict rolls back; a window that has run out passes; anything else keeps
    /// watching. A rollback wins over the end of the window: the last check counts.
    /// </summary>
    public static WatchDecision OnCheck(
        WatchState state, AnalysisVerdict verdict, IReadOnlyList<CheckFigure> figures, long minSamples, double maxErrorRateIncrease, DateTime now, string reason)
    {
        Require(state);
        var check = RollbackRules.Check(figures, minSamples, maxErrorRateIncrease, state.FailedChecks);
        var checkedState = state with { FailedChecks = check.FailedInRow, LastVerdict = verdict.ToString().ToLowerInvariant(), LastCheckedAt = now };
        if (verdict == AnalysisVerdict.Rollback)
        {
            // The analysis' own reason; critical figures make it an emergency.
            return RollBack(checkedState, check.Emergency is null ? RollbackTypes.Automatic : RollbackTypes.Emergency, $"post-promotion watch of {state.Version}: {reason}");
        }
        if (check.Emergency is { } why)
        {
            return RollBack(checkedState, RollbackTypes.Emergency, $"emergency after promotion of {state.Version}: {why}");
        }
        if (now >= state.Until)
        {
            var passed = $"passed: {state.Version} held up against {state.PreviousVersion} for the whole watch ({verdict.ToString().ToLowerInvariant()}: {reason})";
            return new WatchDecision(checkedState with { Status = WatchStatus.Passed, LastReason = passed }, WatchAction.Pass, passed);
        }
        var keep = $"{verdict.ToString().ToLowerInvariant()}: {reason}" + (check.Failed ? $" ({check.FailedInRow} failed check(s) in a row of {RollbackRules.FailedChecksLimit})" : "");
        return new WatchDecision(checkedState with { LastReason = keep }, WatchAction.Keep, keep);
    }

    /// <summary>A check that could not be made (experimentation did not answer): the watch goes on, or passes when its window is over.</summary>
    public static WatchDecision Unchecked(WatchState state, DateTime now, string why)
    {
        Require(state);
        if (now >= state.Until)
        {
            var passed = $"passed: the watch of {state.Version} ended, its last check could not be made ({why})";
            return new WatchDecision(state with { Status = WatchStatus.Passed, LastReason = passed, LastCheckedAt = now }, WatchAction.Pass, passed);
        }
        var keep = $"check not made: {why}";
        return new WatchDecision(state with { LastReason = keep, LastCheckedAt = now }, WatchAction.Keep, keep);
    }

    /// <summary>An alert or an operator rolls the watched version back.</summary>
    public static WatchDecision RollBackNow(WatchState state, string type, string reason)
    {
        Require(state);
        return RollBack(state, type, reason);
    }

    /// <summary>Another traffic move (a rollback, a deployment, a rollout, undeploying) ends the watch.</summary>
    public static WatchState End(WatchState state, string reason) =>
        state.IsWatching ? state with { Status = WatchStatus.Ended, LastReason = $"ended: {reason}" } : state;

    private static WatchDecision RollBack(WatchState state, string type, string reason) =>
        new(state with { Status = WatchStatus.RolledBack, LastReason = reason, RollbackType = type }, WatchAction.RollBack, reason, type);

    private static void Require(WatchState state)
    {
        if (!state.IsWatching) throw new InvalidOperationException($"A {state.Status} watch takes no checks.");
    }
}
