namespace DomainPlatform.Statistics.Tests;

public class AnalysisPhaseTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Each_weight_change_starts_a_new_phase_and_ends_the_previous_one()
    {
        var timeline = PhaseTimeline.Start(T0, [99, 1], "canary 1%")
            .ChangeWeights(T0.AddHours(1), [90, 10], "canary 10%")
            .ChangeWeights(T0.AddHours(2), [50, 50], "canary 50%");

        Assert.Equal([1, 2, 3], timeline.Phases.Select(p => p.Number));
        Assert.Equal(T0.AddHours(1), timeline.Phases[0].EndedAt);
        Assert.Null(timeline.Current.EndedAt);
        Assert.Equal("canary 50%", timeline.Current.Reason);
        Assert.Equal(2, timeline.PhaseAt(T0.AddMinutes(90))!.Number);
        Assert.Equal(1, timeline.PhaseAt(T0)!.Number);
        Assert.Equal(3, timeline.PhaseAt(T0.AddDays(3))!.Number);
        Assert.Null(timeline.PhaseAt(T0.AddSeconds(-1)));
    }

    [Fact]
    public void Unchanged_proportions_keep_the_current_phase()
    {
        var timeline = PhaseTimeline.Start(T0, [50, 50]);
        Assert.Same(timeline, timeline.ChangeWeights(T0.AddHours(1), [0.5, 0.5], "same split"));
    }

    [Fact]
    public void Per_phase_checks_pass_a_ramp_that_pooled_counts_would_flag()
    {
        var timeline = PhaseTimeline.Start(T0, [90, 10]).ChangeWeights(T0.AddHours(1), [50, 50], "ramp");
        long[] firstPhase = [9000, 1000];
        long[] secondPhase = [5000, 5000];

        Assert.False(timeline.Phases[0].CheckSampleRatio(firstPhase).IsMismatch);
        Assert.False(timeline.Phases[1].CheckSampleRatio(secondPhase).IsMismatch);
        Assert.True(timeline.Current.CheckSampleRatio([14_000, 6000]).IsMismatch);
    }

    [Fact]
    public void Inverse_variance_combination_weights_precise_phases_more()
    {
        var a = WelchTest.Compare(ContinuousSummary.FromMoments(100, 10, 4), ContinuousSummary.FromMoments(100, 10.5, 4));
        var b = WelchTest.Compare(ContinuousSummary.FromMoments(900, 10, 4), ContinuousSummary.FromMoments(900, 10.2, 4));
        var combined = PhaseCombination.InverseVariance([a, b]);

        var wa = 1 / (a.StandardError * a.StandardError);
        var wb = 1 / (b.StandardError * b.StandardError);
        Assert.Equal((wa * 0.5 + wb * 0.2) / (wa + wb), combined.Estimate, 12);
        Assert.Equal(Math.Sqrt(1 / (wa + wb)), combined.StandardError, 12);
        Assert.Equal(2, combined.Phases);
        Assert.True(combined.ConfidenceInterval.Contains(combined.Estimate));
    }

    [Fact]
    public void Bad_phase_changes_are_rejected()
    {
        var timeline = PhaseTimeline.Start(T0, [50, 50]);
        Assert.Throws<ArgumentException>(() => timeline.ChangeWeights(T0.AddHours(1), [30, 30, 40], "three"));
        Assert.Throws<ArgumentOutOfRangeException>(() => timeline.ChangeWeights(T0.AddHours(-1), [60, 40], "past"));
        Assert.Throws<ArgumentException>(() => PhaseTimeline.Start(T0, [1]));
        Assert.Throws<ArgumentException>(() => PhaseTimeline.Start(T0, [-1, 2]));
        Assert.Throws<ArgumentException>(() => PhaseCombination.InverseVariance([]));
    }
}
