using DomainPlatform.Contracts.Events;
using DomainPlatform.Deployment.Domain;

namespace DomainPlatform.Deployment.Tests;

/// <summary>The post-promotion watch's rules, without a clock or a database.</summary>
public sealed class PromotionWatchTests
{
    private static readonly DateTime T0 = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);
    private static readonly RollbackThresholds Limits = new() { WatchSeconds = 600, WatchBaselineSeconds = 300, MinSamples = 50 };
    private static readonly WatchState Watching = PromotionWatch.Start("1.1.0", "1.0.0", T0, Limits, "rollout r")!;

    private static IReadOnlyList<CheckFigure> Healthy => [new(RollbackRules.ErrorRate, 0.01, 0.012, 500, 400, "maxErrorRateIncrease", 0.02), new(RollbackRules.Latency, 100, 104, 500, 400, "maxLatencyRatio", 1.5)];
    private static IReadOnlyList<CheckFigure> Slower => [new(RollbackRules.Latency, 1000, 1700, 500, 400, "maxLatencyRatio", 1.5)];

    private static WatchDecision Check(WatchState state, AnalysisVerdict verdict, IReadOnlyList<CheckFigure> figures, DateTime now, string reason = "scripted") =>
        PromotionWatch.OnCheck(state, verdict, figures, 50, 0.02, now, reason);

    [Fact]
    public void A_watch_starts_at_the_switch_with_its_window_and_the_baselines_window_before_it()
    {
        Assert.Equal(new WatchState("1.1.0", "1.0.0", WatchStatus.Watching, T0, T0.AddSeconds(600), T0.AddSeconds(-300),
            LastReason: "watching 1.1.0 after rollout r for 600 s against 1.0.0's last 300 s before the switch"), Watching);
    }

    [Fact]
    public void Nothing_is_watched_without_a_previous_stable_or_with_a_window_of_zero()
    {
        Assert.Null(PromotionWatch.Start("1.0.0", null, T0, Limits, "a direct deployment"));
        Assert.Null(PromotionWatch.Start("1.0.0", "1.0.0", T0, Limits, "a direct deployment"));
        Assert.Null(PromotionWatch.Start("1.1.0", "1.0.0", T0, Limits with { WatchSeconds = 0 }, "a direct deployment"));
        Assert.NotNull(PromotionWatch.Start("1.1.0", "1.0.0", T0, new RollbackThresholds(), "a direct deployment"));
        Assert.Equal(T0.AddSeconds(RollbackThresholds.DefaultWatchSeconds), PromotionWatch.Start("1.1.0", "1.0.0", T0, new RollbackThresholds(), "x")!.Until);
    }

    [Fact]
    public void A_check_is_due_at_the_interval_and_always_once_the_window_is_over()
    {
        var interval = TimeSpan.FromSeconds(60);
        Assert.True(PromotionWatch.IsDue(Watching, T0, interval));
        var checkedOnce = Watching with { LastCheckedAt = T0.AddSeconds(30) };
        Assert.False(PromotionWatch.IsDue(checkedOnce, T0.AddSeconds(60), interval));
        Assert.True(PromotionWatch.IsDue(checkedOnce, T0.AddSeconds(90), interval));
        Assert.True(PromotionWatch.IsDue(Watching with { LastCheckedAt = T0.AddSeconds(599) }, T0.AddSeconds(600), interval));
        Assert.False(PromotionWatch.IsDue(Watching with { Status = WatchStatus.Passed }, T0.AddHours(1), interval));
    }

    [Fact]
    public void A_healthy_version_keeps_being_watched_then_passes_at_the_end_of_the_window()
    {
        var during = Check(Watching, AnalysisVerdict.Continue, Healthy, T0.AddSeconds(60), "all metrics within thresholds");
        Assert.Equal(WatchAction.Keep, during.Action);
        Assert.Equal((WatchStatus.Watching, "continue", T0.AddSeconds(60), 0), (during.Next.Status, during.Next.LastVerdict, during.Next.LastCheckedAt, during.Next.FailedChecks));
        Assert.Equal("continue: all metrics within thresholds", during.Reason);

        var end = Check(during.Next, AnalysisVerdict.Hold, Healthy, T0.AddSeconds(600), "p = 0.4");
        Assert.Equal((WatchAction.Pass, WatchStatus.Passed), (end.Action, end.Next.Status));
        Assert.Equal("passed: 1.1.0 held up against 1.0.0 for the whole watch (hold: p = 0.4)", end.Reason);
        Assert.Null(end.RollbackType);
    }

    [Fact]
    public void A_rollback_verdict_rolls_back_automatically_with_the_analysis_reason_even_at_the_end_of_the_window()
    {
        foreach (var at in new[] { T0.AddSeconds(60), T0.AddSeconds(600) })
        {
            var decision = Check(Watching, AnalysisVerdict.Rollback, Slower, at, "latency 170 vs 100 (x1.70) is above x1.5 (p = 0.001)");
            Assert.Equal((WatchAction.RollBack, RollbackTypes.Automatic, WatchStatus.RolledBack), (decision.Action, decision.RollbackType, decision.Next.Status));
            Assert.Equal("post-promotion watch of 1.1.0: latency 170 vs 100 (x1.70) is above x1.5 (p = 0.001)", decision.Reason);
            Assert.Equal(decision.Reason, decision.Next.LastReason);
        }
    }

    [Fact]
    public void Critical_figures_roll_back_as_an_emergency_whatever_the_verdict()
    {
        IReadOnlyList<CheckFigure> failing = [new(RollbackRules.ErrorRate, 0.01, 0.3, 500, 400, "maxErrorRateIncrease", 0.02)];
        var decision = Check(Watching, AnalysisVerdict.Hold, failing, T0.AddSeconds(60));
        Assert.Equal((WatchAction.RollBack, RollbackTypes.Emergency), (decision.Action, decision.RollbackType));
        Assert.Equal("emergency after promotion of 1.1.0: critical error rate 30.0% above 10.0% (baseline 1.0%)", decision.Reason);
    }

    [Fact]
    public void A_rollback_verdict_on_critical_figures_keeps_the_analysis_reason_and_is_an_emergency()
    {
        IReadOnlyList<CheckFigure> failing = [new(RollbackRules.ErrorRate, 0.01, 0.3, 500, 400, "maxErrorRateIncrease", 0.02)];
        var decision = Check(Watching, AnalysisVerdict.Rollback, failing, T0.AddSeconds(60), "error rate 30% vs 1%");
        Assert.Equal((WatchAction.RollBack, RollbackTypes.Emergency, "post-promotion watch of 1.1.0: error rate 30% vs 1%"), (decision.Action, decision.RollbackType, decision.Reason));
    }

    [Fact]
    public void Five_failed_checks_in_a_row_roll_back_as_an_emergency_and_a_good_check_resets_them()
    {
        var state = Watching;
        for (var i = 1; i <= 4; i++)
        {
            var decision = Check(state, AnalysisVerdict.Hold, Slower, T0.AddSeconds(60 * i), "not significant yet");
            Assert.Equal(WatchAction.Keep, decision.Action);
            Assert.Equal($"hold: not significant yet ({i} failed check(s) in a row of 5)", decision.Reason);
            state = decision.Next;
        }
        var good = Check(state, AnalysisVerdict.Hold, Healthy, T0.AddSeconds(290));
        Assert.Equal(0, good.Next.FailedChecks);
        Assert.Equal(WatchAction.Keep, Check(good.Next, AnalysisVerdict.Hold, Slower, T0.AddSeconds(300)).Action);

        var fifth = Check(state, AnalysisVerdict.Hold, Slower, T0.AddSeconds(300));
        Assert.Equal((WatchAction.RollBack, RollbackTypes.Emergency, 5), (fifth.Action, fifth.RollbackType, fifth.Next.FailedChecks));
        Assert.StartsWith("emergency after promotion of 1.1.0: 5 failed monitoring checks in a row", fifth.Reason);
    }

    [Fact]
    public void Figures_with_too_few_samples_neither_fail_a_check_nor_roll_back()
    {
        IReadOnlyList<CheckFigure> few = [new(RollbackRules.ErrorRate, 0.01, 1, 500, 3, "maxErrorRateIncrease", 0.02)];
        var decision = Check(Watching, AnalysisVerdict.Hold, few, T0.AddSeconds(60), "3 candidate samples of 50");
        Assert.Equal((WatchAction.Keep, 0), (decision.Action, decision.Next.FailedChecks));
    }

    [Fact]
    public void A_check_that_could_not_be_made_keeps_watching_and_passes_only_at_the_end()
    {
        var during = PromotionWatch.Unchecked(Watching, T0.AddSeconds(60), "the analysis failed: Unavailable");
        Assert.Equal((WatchAction.Keep, "check not made: the analysis failed: Unavailable", T0.AddSeconds(60)), (during.Action, during.Next.LastReason, during.Next.LastCheckedAt));
        var end = PromotionWatch.Unchecked(during.Next, T0.AddSeconds(601), "the analysis failed: Unavailable");
        Assert.Equal((WatchAction.Pass, WatchStatus.Passed), (end.Action, end.Next.Status));
    }

    [Fact]
    public void An_alert_rolls_back_now_and_another_traffic_move_ends_the_watch()
    {
        var alerted = PromotionWatch.RollBackNow(Watching, RollbackTypes.Emergency, "EMERGENCY alert");
        Assert.Equal((WatchStatus.RolledBack, RollbackTypes.Emergency, "EMERGENCY alert"), (alerted.Next.Status, alerted.Next.RollbackType, alerted.Next.LastReason));

        var ended = PromotionWatch.End(Watching, "rollout x started");
        Assert.Equal((WatchStatus.Ended, "ended: rollout x started"), (ended.Status, ended.LastReason));
        // A finished watch stays as it ended.
        Assert.Equal(alerted.Next, PromotionWatch.End(alerted.Next, "later move"));
        Assert.Throws<InvalidOperationException>(() => Check(ended, AnalysisVerdict.Rollback, Slower, T0));
        Assert.Throws<InvalidOperationException>(() => PromotionWatch.RollBackNow(ended, RollbackTypes.Emergency, "late"));
    }
}
