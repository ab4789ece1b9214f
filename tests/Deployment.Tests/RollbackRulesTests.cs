using DomainPlatform.Contracts.Events;
using DomainPlatform.Deployment.Domain;

namespace DomainPlatform.Deployment.Tests;

/// <summary>The rollback types' rules: emergencies, failed checks, alerts, gradual weights, manual requests, and the canary's moves down.</summary>
public sealed class RollbackRulesTests
{
    private static readonly DateTime T0 = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);
    private static readonly RolloutPolicy Policy = new(RolloutPolicy.DefaultSteps, TimeSpan.Zero, 50);

    private static CheckFigure Errors(double baseline, double candidate, long samples = 100, double limit = 0.02, long? baselineSamples = null) =>
        new(RollbackRules.ErrorRate, baseline, candidate, baselineSamples ?? samples, samples, "maxErrorRateIncrease", limit);

    private static CheckFigure Latency(double baseline, double candidate, long samples = 100, double limit = 1.5) =>
        new(RollbackRules.Latency, baseline, candidate, samples, samples, "maxLatencyRatio", limit);

    [Theory]
    [InlineData(0.01, 0.02, false)]   // +1 point: within the 2-point limit
    [InlineData(0.01, 0.08, true)]    // +7 points and above the 5% warning level: beyond, significant or not
    [InlineData(0.01, 0.04, false)]   // +3 points but under the warning level: left to the statistical verdict
    [InlineData(0.80, 0.76, false)]   // a canary failing less than a failing stable
    public void A_check_fails_when_the_error_rate_is_beyond_its_relative_limit_and_the_warning_level_as_observed(double baseline, double candidate, bool failed) =>
        Assert.Equal(failed, RollbackRules.Failed([Errors(baseline, candidate)], 50));

    [Theory]
    [InlineData(1000, 1490, false)]
    [InlineData(1000, 1600, true)]
    [InlineData(43, 86, false)]      // x2 at tens of milliseconds: a noisy reading, not a failed monitoring check
    [InlineData(1200, 1600, false)]  // above the warning level but within the ratio: the whole machine is slow
    [InlineData(0, 1600, false)]     // no baseline latency to compare with
    public void A_check_fails_when_the_latency_is_beyond_its_ratio_and_the_warning_level(double baseline, double candidate, bool failed) =>
        Assert.Equal(failed, RollbackRules.Failed([Latency(baseline, candidate)], 50));

    [Fact]
    public void Figures_with_fewer_samples_than_needed_fail_nothing_and_are_no_emergency()
    {
        Assert.False(RollbackRules.Failed([Errors(0.01, 0.9, samples: 49), Latency(1000, 9000, samples: 49)], 50));
        Assert.Null(RollbackRules.Emergency([Errors(0.01, 0.9, samples: 49), Latency(100, 9000, samples: 49)], 50, 0.02));
        // Too few on the baseline's side: the relative limit cannot judge, the absolute emergency still can.
        Assert.False(RollbackRules.Failed([Errors(0.01, 0.9, baselineSamples: 3)], 50));
        Assert.Contains("critical error rate 90.0%", RollbackRules.Emergency([Errors(0.01, 0.9, baselineSamples: 3)], 50, 0.02));
    }

    [Fact]
    public void The_domains_error_ceiling_fails_a_check_and_accuracy_does_not()
    {
        Assert.True(RollbackRules.Failed([new CheckFigure(RollbackRules.ErrorRateCeiling, 0.01, 0.2, 100, 100, "maxErrorRate", 0.1)], 50));
        Assert.False(RollbackRules.Failed([new CheckFigure(RollbackRules.ErrorRateCeiling, 0.01, 0.2, 100, 100, "maxErrorRate", 1)], 50));
        // Accuracy is the statistical verdict's alone.
        Assert.False(RollbackRules.Failed([new CheckFigure(RollbackRules.Accuracy, 0.9, 0.8, 100, 100, "maxAccuracyDrop", 0.05)], 50));
        Assert.False(RollbackRules.Failed([new CheckFigure(RollbackRules.Latency, null, 500, 0, 100, "maxLatencyRatio", 1.5)], 50));
    }

    [Fact]
    public void A_critical_error_rate_above_10_percent_is_an_emergency_unless_the_baseline_does_as_badly()
    {
        Assert.Equal("critical error rate 30.0% above 10.0% (baseline 1.0%)", RollbackRules.Emergency([Errors(0.01, 0.30)], 50, 0.02));
        Assert.Null(RollbackRules.Emergency([Errors(0.05, 0.10)], 50, 0.02));
        // 12 errors in 100 are not significantly above 10% (Wilson lower bound 7%); one error in three requests is no 33%.
        Assert.Null(RollbackRules.Emergency([Errors(0.05, 0.12)], 50, 0.02));
        Assert.Null(RollbackRules.Emergency([Errors(0, 1.0 / 3, samples: 3)], 3, 0.02));
        // Three failures in three are: every request of a broken canary fails (lower bound 44%).
        Assert.Contains("critical error rate 100.0%", RollbackRules.Emergency([Errors(0, 1, samples: 3)], 3, 0.02));
        // Rolling back to a version failing more often helps no one.
        Assert.Null(RollbackRules.Emergency([Errors(0.80, 0.76)], 50, 0.02));
    }

    [Fact]
    public void A_mean_latency_above_3000_ms_is_an_emergency_unless_the_baseline_is_as_slow()
    {
        Assert.Equal("mean latency 3200 ms above 3000 ms (baseline 200 ms)", RollbackRules.Emergency([Latency(200, 3200)], 50, 0.02));
        Assert.Null(RollbackRules.Emergency([Latency(200, 2999)], 50, 0.02));
        Assert.Null(RollbackRules.Emergency([Latency(4000, 3500)], 50, 0.02));
        // Everything is slow on this machine: above 3000 ms but within the ratio of a baseline just as slow.
        Assert.Null(RollbackRules.Emergency([Latency(2500, 3200)], 50, 0.02));
    }

    [Fact]
    public void Five_times_the_baselines_error_rate_is_an_emergency_when_it_is_also_beyond_the_relative_limit()
    {
        Assert.Equal("error rate 8.0% is 8.0x the baseline's 1.0% (5x or more)", RollbackRules.Emergency([Errors(0.01, 0.08, samples: 1000)], 50, 0.02));
        // Five errors in a hundred against 1%: five times as observed, but not significantly (lower bound 2.2%).
        Assert.Null(RollbackRules.Emergency([Errors(0.01, 0.05)], 50, 0.02));
        // 0.5% against 0.1% is five times, but half a point: one stray error is no emergency.
        Assert.Null(RollbackRules.Emergency([Errors(0.001, 0.005)], 50, 0.02));
        // A baseline without errors has no multiple; the 10% rule and the relative limit judge instead.
        Assert.Null(RollbackRules.Emergency([Errors(0, 0.05)], 50, 0.02));
    }

    [Fact]
    public void Five_failed_checks_in_a_row_are_an_emergency_and_a_passing_check_starts_the_count_again()
    {
        IReadOnlyList<CheckFigure> bad = [Latency(1000, 1600)];
        IReadOnlyList<CheckFigure> good = [Latency(1000, 1100)];
        var inRow = 0;
        for (var i = 1; i <= 4; i++)
        {
            var check = RollbackRules.Check(bad, 50, 0.02, inRow);
            Assert.Equal((true, i, (string?)null), (check.Failed, check.FailedInRow, check.Emergency));
            inRow = check.FailedInRow;
        }
        Assert.Equal(new CheckResult(false, 0, null), RollbackRules.Check(good, 50, 0.02, inRow));
        var fifth = RollbackRules.Check(bad, 50, 0.02, inRow);
        Assert.Equal(5, fifth.FailedInRow);
        Assert.StartsWith("5 failed monitoring checks in a row", fifth.Emergency);
    }

    [Theory]
    [InlineData("EMERGENCY", RollbackTypes.Emergency)]
    [InlineData("CRITICAL", RollbackTypes.Emergency)]
    [InlineData("warning", RollbackTypes.Gradual)]
    [InlineData("INFO", null)]
    [InlineData("SOMETHING", null)]
    public void An_alerts_level_chooses_the_rollback(string level, string? type) => Assert.Equal(type, RollbackRules.TypeForAlert(level));

    [Fact]
    public void Alert_levels_rank_in_the_monitors_order()
    {
        Assert.Equal([-1, 0, 1, 2, 3], new[] { "unknown", "INFO", "warning", "CRITICAL", " EMERGENCY " }.Select(RollbackRules.LevelRank));
    }

    [Fact]
    public void Gradual_weights_go_down_in_equal_steps_to_zero()
    {
        Assert.Equal([33.33, 16.67, 0], RollbackRules.GradualWeights(50, 3));
        Assert.Equal([0.0], RollbackRules.GradualWeights(10, 1));
        Assert.Equal([7.5, 5, 2.5, 0], RollbackRules.GradualWeights(10, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => RollbackRules.GradualWeights(10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RollbackRules.GradualWeights(10, 21));
    }

    [Fact]
    public void A_manual_rollback_request_is_validated_field_by_field()
    {
        var now = new DateTimeOffset(T0);
        Assert.Empty(RollbackRules.ValidateManual("bad", null, null, null, null, now));
        Assert.Empty(RollbackRules.ValidateManual("bad", "Gradual", 5, 30, now.AddHours(1), now));
        Assert.Equal(["reason"], RollbackRules.ValidateManual(" ", null, null, null, null, now).Keys);
        Assert.Equal(["speed"], RollbackRules.ValidateManual("r", "fast", null, null, null, now).Keys);
        Assert.Equal(["speed"], RollbackRules.ValidateManual("r", "immediate", 3, null, null, now).Keys);
        Assert.Equal(["steps"], RollbackRules.ValidateManual("r", "gradual", 0, null, null, now).Keys);
        Assert.Equal(["stepSeconds"], RollbackRules.ValidateManual("r", "gradual", 2, -1, null, now).Keys);
        Assert.Equal(["at"], RollbackRules.ValidateManual("r", null, null, null, now, now).Keys);
    }

    [Fact]
    public void A_plan_gives_its_weights_one_at_a_time_at_its_pace()
    {
        var plan = new RollbackPlan(RollbackTypes.Manual, [33.33, 16.67, 0], 60, T0, "bad", "ops", false);
        Assert.False(plan.IsDue(T0.AddSeconds(-1)));
        Assert.True(plan.IsDue(T0));
        var (first, rest) = plan.Take(T0);
        Assert.Equal(33.33, first);
        Assert.Equal([16.67, 0], rest!.Weights);
        Assert.Equal((T0.AddSeconds(60), true), (rest.NextAt, rest.Begun));
        var (second, last) = rest.Take(T0.AddSeconds(60));
        Assert.Equal(16.67, second);
        var (zero, none) = last!.Take(T0.AddSeconds(120));
        Assert.Equal(0, zero);
        Assert.Null(none);
    }

    [Theory]
    [InlineData(2, 10.0)]
    [InlineData(1, 1.0)]
    public void A_step_down_goes_to_the_planned_step_below_and_starts_a_new_phase(int step, double lower)
    {
        var state = new RolloutState(RolloutStatus.Running, step, T0.AddHours(-1));
        var (next, decision) = CanaryStateMachine.StepDown(Policy, state, T0, "gradual rollback: WARNING");
        Assert.Equal(new RolloutState(RolloutStatus.Running, step - 1, T0), next);
        Assert.Equal((RolloutAction.StepDown, Policy.Steps[step], lower), (decision.Action, decision.FromWeight, decision.ToWeight));
        Assert.Equal($"gradual rollback: WARNING: weight {Policy.Steps[step]}% to {lower}%", decision.Reason);
        Assert.True(decision.MovesTraffic);
    }

    [Fact]
    public void A_step_down_from_the_first_step_rolls_back_and_a_paused_rollout_steps_down_paused()
    {
        var (gone, decision) = CanaryStateMachine.StepDown(Policy, new RolloutState(RolloutStatus.Running, 0, T0), T0, "gradual rollback");
        Assert.Equal(RolloutStatus.RolledBack, gone.Status);
        Assert.Equal((RolloutAction.RollBack, 1.0, 0.0), (decision.Action, decision.FromWeight, decision.ToWeight));

        var (paused, _) = CanaryStateMachine.StepDown(Policy, new RolloutState(RolloutStatus.Paused, 1, T0), T0, "w");
        Assert.Equal(new RolloutState(RolloutStatus.Paused, 0, T0), paused);

        // Between planned steps (a weight set by hand), the step below is the planned one under it.
        var (manual, down) = CanaryStateMachine.StepDown(Policy, new RolloutState(RolloutStatus.Running, 1, T0, ManualWeight: 30), T0, "w");
        Assert.Equal((1, (double?)null, 10.0), (manual.StepIndex, manual.ManualWeight, down.ToWeight));
        Assert.Throws<InvalidRolloutTransitionException>(() => CanaryStateMachine.StepDown(Policy, new RolloutState(RolloutStatus.Succeeded, 3, T0), T0, "w"));
    }

    [Fact]
    public void A_gradual_weight_off_the_plan_is_held_as_a_manual_weight_and_0_rolls_back()
    {
        var state = new RolloutState(RolloutStatus.Running, 2, T0);
        var (next, decision) = CanaryStateMachine.ToWeight(Policy, state, 33.33, T0, "manual rollback: bad");
        Assert.Equal(new RolloutState(RolloutStatus.Running, 1, T0, 33.33), next);
        Assert.Equal(33.33, CanaryStateMachine.WeightOf(Policy, next));
        Assert.Equal(RolloutAction.StepDown, decision.Action);
        var (end, last) = CanaryStateMachine.ToWeight(Policy, next, 0, T0, "manual rollback: bad");
        Assert.Equal((RolloutStatus.RolledBack, RolloutAction.RollBack, "manual rollback: bad: weight 33.33% to 0"), (end.Status, last.Action, last.Reason));
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryStateMachine.ToWeight(Policy, state, 60, T0, "up is no rollback"));
    }

    [Fact]
    public void An_emergency_rolls_a_running_or_paused_canary_back_at_once()
    {
        foreach (var status in new[] { RolloutStatus.Running, RolloutStatus.Paused })
        {
            var (next, decision) = CanaryStateMachine.RollBackNow(Policy, new RolloutState(status, 2, T0), T0.AddMinutes(1), "emergency rollback: x");
            Assert.Equal(RolloutStatus.RolledBack, next.Status);
            Assert.Equal((RolloutAction.RollBack, 50.0, 0.0, "emergency rollback: x"), (decision.Action, decision.FromWeight, decision.ToWeight, decision.Reason));
        }
        Assert.Throws<InvalidRolloutTransitionException>(() => CanaryStateMachine.RollBackNow(Policy, new RolloutState(RolloutStatus.RolledBack, 0, T0), T0, "x"));
    }
}
