using DomainPlatform.Experimentation.Domain;

namespace DomainPlatform.Experimentation.Tests;

public sealed class HealthRulesTests
{
    private static readonly HealthOptions Equal = new();

    private static WindowFigures Figures(long requests, long errors, int intervals, int down, long judged, long correct, double? p95) =>
        new(requests, errors, requests > 0 ? (double)errors / requests : null, requests / 60.0, intervals, down,
            intervals > 0 ? 1 - (double)down / intervals : null, judged, correct, judged > 0 ? (double)correct / judged : null,
            new LatencyFigures(requests - errors, p95, p95, p95, p95, LatencyHistogram.RelativeError),
            new CostFigures(0, null, null, 0, 0, null, 0, "USD"));

    [Fact]
    public void All_targets_met_scores_100()
    {
        var h = HealthRules.Assess(Figures(100, 1, 6, 0, 30, 27, 150), new SlaTargets(200, 0.05, 0.99, 0.8, 60), Equal, 20);
        Assert.Equal((100.0, HealthStates.Met), (h.Score!.Value, h.State));
        Assert.Empty(h.Breaches);
    }

    [Fact]
    public void Each_part_falls_with_its_distance_past_the_target()
    {
        // accuracy 0.6 / 0.8 = 0.75; latency 500 / 1000 = 0.5; errors 0.05 / 0.1 = 0.5; availability (1 - 0.99) / (1 - 0.75) = 0.04.
        var h = HealthRules.Assess(Figures(100, 10, 4, 1, 20, 12, 1000), new SlaTargets(500, 0.05, 0.99, 0.8, 60), Equal, 20);
        Assert.Equal(100 * (0.75 + 0.5 + 0.5 + 0.04) / 4, h.Score!.Value, 9);
        Assert.Equal(HealthStates.Violated, h.State);
        Assert.Equal([SlaTargetNames.Accuracy, SlaTargetNames.LatencyP95, SlaTargetNames.ErrorRate, SlaTargetNames.Availability], h.Breaches.Select(b => b.Target));
        var latency = h.Breaches.Single(b => b.Target == SlaTargetNames.LatencyP95);
        Assert.Equal((1000.0, 500.0), (latency.Value, latency.Threshold));
        Assert.Equal("p95 latency 1000 ms above the SLA's 500 ms over 60 s (100 requests)", latency.Reason);
        Assert.Equal("accuracy 60% below the SLA's 80% over 60 s (20 judged responses)", h.Breaches[0].Reason);
    }

    [Fact]
    public void Weights_parts_without_data_and_a_missing_accuracy_target()
    {
        // No feedback and no served request: only error rate (0.05 / 1) and availability ((1 - 0.99) / (1 - 0)) count.
        var allFailed = Figures(40, 40, 2, 2, 0, 0, null);
        var h = HealthRules.Assess(allFailed, new SlaTargets(500, 0.05, 0.99, null, 60), Equal, 20);
        Assert.Equal(100 * (0.05 + 0.01) / 2, h.Score!.Value, 9);
        // Without an accuracy target accuracy counts as itself and is never breached.
        var noTarget = HealthRules.Assess(Figures(100, 0, 6, 0, 10, 7, 100), new SlaTargets(500, 0.05, 0.99, null, 60), Equal, 20);
        Assert.Equal(100 * (0.7 + 3) / 4, noTarget.Score!.Value, 9);
        Assert.Equal(HealthStates.Met, noTarget.State);
        // Weights: latency alone.
        var latencyOnly = HealthRules.Assess(Figures(100, 50, 6, 0, 10, 0, 1000), new SlaTargets(250, 0.05, 0.99, null, 60),
            new HealthOptions { AccuracyWeight = 0, ErrorRateWeight = 0, AvailabilityWeight = 0, LatencyWeight = 2 }, 20);
        Assert.Equal(25, latencyOnly.Score!.Value, 9);
    }

    [Fact]
    public void Too_little_traffic_is_scored_but_not_judged()
    {
        var few = HealthRules.Assess(Figures(5, 5, 1, 1, 0, 0, null), new SlaTargets(500, 0.05, 0.99, null, 60), Equal, 20);
        Assert.Equal(HealthStates.InsufficientData, few.State);
        Assert.Empty(few.Breaches);
        Assert.NotNull(few.Score);
        var none = HealthRules.Assess(Figures(0, 0, 0, 0, 0, 0, null), new SlaTargets(500, 0.05, 0.99, null, 60), Equal, 20);
        Assert.Equal((null, HealthStates.NoData), (none.Score, none.State));
    }

    [Fact]
    public void Targets_and_settings_are_validated_by_field()
    {
        Assert.Empty(HealthRules.Problems(500, 0, 1, null, null));
        Assert.Equal(["latencyP95Ms", "maxErrorRate", "minAvailability", "minAccuracy", "windowSeconds"],
            HealthRules.Problems(0, 1, 0, 1.5, 15).Keys);
        Assert.Equal(["latencyP95Ms", "maxErrorRate", "minAvailability"], HealthRules.Problems(null, null, null, null, null).Keys);
        Assert.True(new HealthOptions().IsValid());
        Assert.False(new HealthOptions { AccuracyWeight = 0, LatencyWeight = 0, ErrorRateWeight = 0, AvailabilityWeight = 0 }.IsValid());
        Assert.False(new HealthOptions { ViolationAlertLevel = "INFO" }.IsValid());
        Assert.False(new HealthOptions { DefaultMaxErrorRate = 1 }.IsValid());
    }
}
