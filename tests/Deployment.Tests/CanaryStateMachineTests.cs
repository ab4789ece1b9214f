using DomainPlatform.Deployment.Domain;

namespace DomainPlatform.Deployment.Tests;

public sealed class CanaryStateMachineTests
{
    private static readonly DateTime T0 = new(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc);
    private static readonly RolloutPolicy Policy = new(RolloutPolicy.DefaultSteps, TimeSpan.FromMinutes(5), 50);
    private static RolloutState At(int step, RolloutStatus status = RolloutStatus.Running) => new(status, step, T0);

    [Theory]
    [InlineData(0, 10.0)]
    [InlineData(1, 50.0)]
    public void Continue_after_the_minimum_duration_and_samples_advances_one_step(int step, double nextWeight)
    {
        var now = T0.AddMinutes(5);
        var (next, decision) = CanaryStateMachine.OnVerdict(Policy, At(step), AnalysisVerdict.Continue, 50, now, "ok");
        Assert.Equal(new RolloutState(RolloutStatus.Running, step + 1, now), next);
        Assert.Equal(RolloutAction.Advance, decision.Action);
        Assert.Equal((Policy.Steps[step], nextWeight), (decision.FromWeight, decision.ToWeight));
        Assert.True(decision.MovesTraffic);
    }

    [Fact]
    public void Continue_at_the_last_canary_step_completes_at_100()
    {
        var (next, decision) = CanaryStateMachine.OnVerdict(Policy, At(2), AnalysisVerdict.Continue, 1000, T0.AddHours(1), "ok");
        Assert.Equal(RolloutStatus.Succeeded, next.Status);
        Assert.Equal(3, next.StepIndex);
        Assert.Equal((RolloutAction.Complete, 50.0, 100.0), (decision.Action, decision.FromWeight, decision.ToWeight));
        Assert.Equal(100, CanaryStateMachine.WeightOf(Policy, next));
    }

    [Fact]
    public void Continue_before_the_minimum_duration_holds()
    {
        var state = At(0);
        var (next, decision) = CanaryStateMachine.OnVerdict(Policy, state, AnalysisVerdict.Continue, 500, T0.AddMinutes(4), "ok");
        Assert.Equal(state, next);
        Assert.Equal(RolloutAction.Hold, decision.Action);
        Assert.Contains("240s of the 300s minimum (minStepSeconds)", decision.Reason);
        Assert.False(decision.MovesTraffic);
    }

    [Fact]
    public void Continue_with_too_few_samples_holds()
    {
        var (next, decision) = CanaryStateMachine.OnVerdict(Policy, At(1), AnalysisVerdict.Continue, 49, T0.AddHours(1), "ok");
        Assert.Equal(At(1), next);
        Assert.Contains("49 candidate samples of the 50 minimum (minSamples)", decision.Reason);
    }

    [Fact]
    public void Hold_keeps_the_step_and_its_clock()
    {
        var (next, decision) = CanaryStateMachine.OnVerdict(Policy, At(1), AnalysisVerdict.Hold, 5000, T0.AddHours(1), "p = 0.3");
        Assert.Equal(At(1), next);
        Assert.Equal((RolloutAction.Hold, 10.0, 10.0), (decision.Action, decision.FromWeight, decision.ToWeight));
        Assert.Equal("hold: p = 0.3", decision.Reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Rollback_ends_the_rollout_at_any_step_even_before_the_minimum_duration(int step)
    {
        var (next, decision) = CanaryStateMachine.OnVerdict(Policy, At(step), AnalysisVerdict.Rollback, 0, T0.AddSeconds(1), "error rate 14%");
        Assert.Equal(RolloutStatus.RolledBack, next.Status);
        Assert.Equal((RolloutAction.RollBack, Policy.Steps[step], 0.0), (decision.Action, decision.FromWeight, decision.ToWeight));
        Assert.Equal(0, CanaryStateMachine.WeightOf(Policy, next));
        Assert.Contains("error rate 14%", decision.Reason);
    }

    [Theory]
    [InlineData(RolloutStatus.Paused)]
    [InlineData(RolloutStatus.Succeeded)]
    [InlineData(RolloutStatus.RolledBack)]
    [InlineData(RolloutStatus.Aborted)]
    public void Only_a_running_rollout_takes_verdicts(RolloutStatus status) =>
        Assert.Throws<InvalidRolloutTransitionException>(() => CanaryStateMachine.OnVerdict(Policy, At(0, status), AnalysisVerdict.Continue, 100, T0.AddHours(1), "ok"));

    [Fact]
    public void Pause_then_resume_restarts_the_step_clock()
    {
        var paused = CanaryStateMachine.Pause(Policy, At(1), "look at logs");
        Assert.Equal(RolloutStatus.Paused, paused.Next.Status);
        Assert.False(CanaryStateMachine.IsDue(Policy, paused.Next, T0.AddHours(1)));
        var resumedAt = T0.AddHours(1);
        var resumed = CanaryStateMachine.Resume(Policy, paused.Next, resumedAt, "fine");
        Assert.Equal(new RolloutState(RolloutStatus.Running, 1, resumedAt), resumed.Next);
        Assert.False(CanaryStateMachine.IsDue(Policy, resumed.Next, resumedAt.AddMinutes(4)));
        Assert.True(CanaryStateMachine.IsDue(Policy, resumed.Next, resumedAt.AddMinutes(5)));
        Assert.Throws<InvalidRolloutTransitionException>(() => CanaryStateMachine.Pause(Policy, paused.Next, "again"));
        Assert.Throws<InvalidRolloutTransitionException>(() => CanaryStateMachine.Resume(Policy, resumed.Next, resumedAt, "again"));
    }

    [Fact]
    public void Promote_moves_a_running_or_paused_rollout_one_step_regardless_of_time()
    {
        var promoted = CanaryStateMachine.Promote(Policy, At(0, RolloutStatus.Paused), T0, "looks good");
        Assert.Equal(new RolloutState(RolloutStatus.Running, 1, T0), promoted.Next);
        var completed = CanaryStateMachine.Promote(Policy, At(2), T0, "ship it");
        Assert.Equal(RolloutStatus.Succeeded, completed.Next.Status);
        Assert.Throws<InvalidRolloutTransitionException>(() => CanaryStateMachine.Promote(Policy, completed.Next, T0, "again"));
    }

    [Theory]
    [InlineData(RolloutStatus.Running)]
    [InlineData(RolloutStatus.Paused)]
    public void Abort_sends_traffic_back(RolloutStatus status)
    {
        var (next, decision) = CanaryStateMachine.Abort(Policy, At(1, status), T0, "bad");
        Assert.Equal(RolloutStatus.Aborted, next.Status);
        Assert.Equal((RolloutAction.Abort, 10.0, 0.0), (decision.Action, decision.FromWeight, decision.ToWeight));
    }

    [Theory]
    [InlineData(RolloutStatus.Succeeded)]
    [InlineData(RolloutStatus.RolledBack)]
    [InlineData(RolloutStatus.Aborted)]
    public void A_finished_rollout_cannot_be_aborted(RolloutStatus status) =>
        Assert.Throws<InvalidRolloutTransitionException>(() => CanaryStateMachine.Abort(Policy, At(1, status), T0, "late"));

    [Fact]
    public void Custom_steps_are_followed_to_the_end()
    {
        var policy = new RolloutPolicy([5, 25, 100], TimeSpan.Zero, 0);
        var state = new RolloutState(RolloutStatus.Running, 0, T0);
        var weights = new List<double> { CanaryStateMachine.WeightOf(policy, state) };
        while (state.Status == RolloutStatus.Running)
        {
            state = CanaryStateMachine.OnVerdict(policy, state, AnalysisVerdict.Continue, 0, T0, "ok").Next;
            weights.Add(CanaryStateMachine.WeightOf(policy, state));
        }
        Assert.Equal([5.0, 25, 100], weights);
    }

    [Theory]
    [InlineData("continue", AnalysisVerdict.Continue)]
    [InlineData("ROLLBACK", AnalysisVerdict.Rollback)]
    [InlineData("hold", AnalysisVerdict.Hold)]
    [InlineData("", AnalysisVerdict.Hold)]
    [InlineData(null, AnalysisVerdict.Hold)]
    [InlineData("promote!", AnalysisVerdict.Hold)]
    public void Unknown_verdicts_are_treated_as_hold(string? text, AnalysisVerdict expected) =>
        Assert.Equal(expected, CanaryStateMachine.ParseVerdict(text));

    [Theory]
    [InlineData(new double[] { 1, 10, 50, 100 }, null)]
    [InlineData(new double[] { 50, 100 }, null)]
    [InlineData(new double[] { 100 }, "steps")]
    [InlineData(new double[] { 10, 5, 100 }, "steps")]
    [InlineData(new double[] { 10, 10, 100 }, "steps")]
    [InlineData(new double[] { 10, 50 }, "steps")]
    [InlineData(new double[] { 0, 50, 100 }, "steps")]
    [InlineData(new double[] { 10, 150 }, "steps")]
    public void Validates_steps(double[] steps, string? error)
    {
        var errors = RolloutPolicy.Validate(steps, TimeSpan.Zero, 2);
        if (error is null) Assert.Empty(errors);
        else Assert.Contains(error, errors.Keys);
    }

    [Theory]
    [InlineData(-1, 10, "minStepSeconds")]
    [InlineData(604_801, 10, "minStepSeconds")]
    [InlineData(double.NaN, 10, "minStepSeconds")]
    [InlineData(0, -1, "minSamples")]
    [InlineData(0, 1, "minSamples")]
    [InlineData(0, 1_000_000_001, "minSamples")]
    [InlineData(604_800, 2, null)]
    [InlineData(0, 1_000_000_000, null)]
    public void Validates_duration_and_samples(double minStepSeconds, long minSamples, string? error)
    {
        var errors = RolloutPolicy.Validate(RolloutPolicy.DefaultSteps, minStepSeconds, minSamples);
        if (error is null) Assert.Empty(errors);
        else Assert.Equal([error], errors.Keys);
    }

    [Fact]
    public void Setting_a_weight_between_steps_moves_traffic_and_starts_a_new_phase()
    {
        var now = T0.AddMinutes(2);
        var (next, decision) = CanaryStateMachine.SetWeight(Policy, At(0), 30, now, "more traffic");

        Assert.Equal(new RolloutState(RolloutStatus.Running, 1, now, 30), next);
        Assert.Equal(30, CanaryStateMachine.WeightOf(Policy, next));
        Assert.Equal((RolloutAction.SetWeight, 0, 1, 1.0, 30.0), (decision.Action, decision.FromStep, decision.ToStep, decision.FromWeight, decision.ToWeight));
        Assert.Equal("weight set from 1% to 30%: more traffic", decision.Reason);
        Assert.True(decision.MovesTraffic);
        // The step's clock restarted: a continue right away holds, after the minimum it goes to the first planned step above 30.
        Assert.Equal(RolloutAction.Hold, CanaryStateMachine.OnVerdict(Policy, next, AnalysisVerdict.Continue, 500, now.AddMinutes(1), "ok").Decision.Action);
        var (advanced, advance) = CanaryStateMachine.OnVerdict(Policy, next, AnalysisVerdict.Continue, 500, now.AddMinutes(5), "ok");
        Assert.Equal(new RolloutState(RolloutStatus.Running, 2, now.AddMinutes(5)), advanced);
        Assert.Equal((30.0, 50.0), (advance.FromWeight, advance.ToWeight));
    }

    [Fact]
    public void Setting_a_planned_weight_puts_the_rollout_back_on_its_plan_even_going_down()
    {
        var (next, decision) = CanaryStateMachine.SetWeight(Policy, At(2), 10, T0, "too much too soon");
        Assert.Equal(new RolloutState(RolloutStatus.Running, 1, T0), next);
        Assert.Equal((2, 1, 50.0, 10.0), (decision.FromStep, decision.ToStep, decision.FromWeight, decision.ToWeight));
        Assert.Equal(50, CanaryStateMachine.Promote(Policy, next, T0, "go").Decision.ToWeight);
    }

    [Theory]
    [InlineData(0.5, 0, 1.0)]   // below the first step: the next advance goes to it
    [InlineData(5, 0, 10.0)]
    [InlineData(60, 2, 100.0)]  // above the last canary step: the next advance completes
    public void After_a_weight_set_by_hand_promotion_goes_to_the_first_planned_step_above(double weight, int stepIndex, double promotedTo)
    {
        var (next, _) = CanaryStateMachine.SetWeight(Policy, At(1), weight, T0, "ops");
        Assert.Equal((stepIndex, (double?)weight), (next.StepIndex, next.ManualWeight));

        var (promoted, decision) = CanaryStateMachine.Promote(Policy, next, T0.AddSeconds(1), "ops");
        Assert.Equal((weight, promotedTo), (decision.FromWeight, decision.ToWeight));
        Assert.Null(promoted.ManualWeight);
        Assert.Equal(promotedTo == 100 ? RolloutStatus.Succeeded : RolloutStatus.Running, promoted.Status);
    }

    [Fact]
    public void A_weight_set_while_paused_keeps_it_paused_and_resume_or_rollback_keep_the_weight()
    {
        var (paused, _) = CanaryStateMachine.SetWeight(Policy, At(0, RolloutStatus.Paused), 20, T0, "ops");
        Assert.Equal((RolloutStatus.Paused, 20.0), (paused.Status, CanaryStateMachine.WeightOf(Policy, paused)));
        var (resumed, resume) = CanaryStateMachine.Resume(Policy, paused, T0.AddMinutes(1), "ops");
        Assert.Equal((20.0, 20.0, (double?)20), (resume.FromWeight, resume.ToWeight, resumed.ManualWeight));
        var rolledBack = CanaryStateMachine.OnVerdict(Policy, resumed, AnalysisVerdict.Rollback, 50, T0.AddMinutes(9), "bad").Decision;
        Assert.Equal((20.0, 0.0), (rolledBack.FromWeight, rolledBack.ToWeight));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    [InlineData(-5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Weights_outside_0_to_100_are_refused(double weight)
    {
        Assert.NotNull(RolloutPolicy.WeightRefusal(weight));
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryStateMachine.SetWeight(Policy, At(0), weight, T0, "ops"));
    }

    [Fact]
    public void The_same_weight_or_a_finished_rollout_takes_no_weight()
    {
        Assert.Throws<InvalidRolloutTransitionException>(() => CanaryStateMachine.SetWeight(Policy, At(1), 10, T0, "ops"));
        foreach (var status in new[] { RolloutStatus.Succeeded, RolloutStatus.RolledBack, RolloutStatus.Aborted })
        {
            Assert.Throws<InvalidRolloutTransitionException>(() => CanaryStateMachine.SetWeight(Policy, At(1, status), 20, T0, "ops"));
        }
    }
}
