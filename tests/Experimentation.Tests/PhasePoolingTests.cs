using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using DomainPlatform.Statistics;

namespace DomainPlatform.Experimentation.Tests;

public sealed class PhasePoolingTests
{
    private static readonly Variant[] Arms = [new("control", "1.0.0", 50), new("b", "1.1.0", 50)];

    /// <summary>A phase's continuous aggregate with the given count, mean and standard deviation.</summary>
    private static AggregateRow Mean(int phase, string variant, long n, double mean, double sd, string metric = MetricCatalog.FeedbackScore) => new()
    {
        Phase = phase, Variant = variant, Metric = metric, Count = n, Sum = n * mean, SumSquares = (n - 1) * sd * sd + n * mean * mean,
    };

    private static AggregateRow Rate(int phase, string variant, long n, long successes) => new()
    {
        Phase = phase, Variant = variant, Metric = MetricCatalog.Accuracy, Count = n, Sum = successes, SumSquares = successes, Successes = successes,
    };

    [Fact]
    public void Phases_are_combined_by_inverse_variance_of_their_own_welch_differences()
    {
        AggregateRow[] rows =
        [
            Mean(1, "control", 900, 0.40, 0.2), Mean(1, "b", 100, 0.50, 0.2),
            Mean(2, "control", 500, 0.42, 0.2), Mean(2, "b", 500, 0.50, 0.2),
        ];

        var pooled = Assert.Single(PhasePooling.Combine(Arms, MetricCatalog.FeedbackScore, rows, 0.95));

        var phase1 = WelchTest.Compare(ContinuousSummary.FromMoments(900, 0.40, 0.04), ContinuousSummary.FromMoments(100, 0.50, 0.04));
        var phase2 = WelchTest.Compare(ContinuousSummary.FromMoments(500, 0.42, 0.04), ContinuousSummary.FromMoments(500, 0.50, 0.04));
        double w1 = 1 / (phase1.StandardError * phase1.StandardError), w2 = 1 / (phase2.StandardError * phase2.StandardError);
        Assert.Equal(("b", MetricCatalog.FeedbackScore, 2), (pooled.Variant, pooled.Metric, pooled.Phases));
        Assert.Equal((w1 * 0.10 + w2 * 0.08) / (w1 + w2), pooled.Difference, 9);
        Assert.Equal(Math.Sqrt(1 / (w1 + w2)), pooled.StandardError, 9);
        Assert.True(pooled.PValue < 1e-6);
        Assert.True(pooled.ConfidenceInterval.Contains(pooled.Difference));
    }

    [Fact]
    public void A_drift_between_phases_with_different_weights_does_not_bias_the_pooled_effect()
    {
        // The metric rises by 0.4 between phases while the treatment's share rises from 10% to 50%; the true effect is
        // +0.05 in both. Pooling raw counts would credit most of the drift to the treatment (about +0.22).
        AggregateRow[] rows =
        [
            Mean(1, "control", 9000, 0.20, 0.1), Mean(1, "b", 1000, 0.25, 0.1),
            Mean(2, "control", 5000, 0.60, 0.1), Mean(2, "b", 5000, 0.65, 0.1),
        ];
        var naive = (1000 * 0.25 + 5000 * 0.65) / 6000 - (9000 * 0.20 + 5000 * 0.60) / 14000;
        Assert.True(naive > 0.2);

        var pooled = Assert.Single(PhasePooling.Combine(Arms, MetricCatalog.FeedbackScore, rows, 0.95));
        Assert.Equal(0.05, pooled.Difference, 9);
    }

    [Fact]
    public void Rates_use_the_two_proportion_test_per_phase()
    {
        AggregateRow[] rows = [Rate(1, "control", 1000, 500), Rate(1, "b", 1000, 600)];

        var pooled = Assert.Single(PhasePooling.Combine(Arms, MetricCatalog.Accuracy, rows, 0.95));

        var single = ProportionTest.Compare(new BinarySummary(1000, 500), new BinarySummary(1000, 600));
        Assert.Equal((1, single.Difference, single.StandardError), (pooled.Phases, pooled.Difference, pooled.StandardError));
    }

    [Fact]
    public void Phases_where_an_arm_had_fewer_than_two_samples_and_other_metrics_are_left_out()
    {
        AggregateRow[] rows =
        [
            Mean(1, "control", 100, 0.4, 0.2), Mean(1, "b", 1, 0.9, 0),
            Mean(2, "control", 100, 0.4, 0.2), Mean(2, "b", 100, 0.5, 0.2),
            Mean(3, "control", 100, 0.4, 0.2),
            Mean(2, "control", 100, 900, 50, MetricCatalog.LatencyMs), Mean(2, "b", 100, 100, 50, MetricCatalog.LatencyMs),
        ];

        var pooled = Assert.Single(PhasePooling.Combine(Arms, MetricCatalog.FeedbackScore, rows, 0.95));
        Assert.Equal(1, pooled.Phases);
        Assert.Equal(0.1, pooled.Difference, 9);
    }

    [Fact]
    public void Every_treatment_gets_its_own_pooled_comparison_and_one_without_data_none()
    {
        Variant[] arms = [new("control", "1.0.0", 40), new("b", "1.1.0", 30), new("c", "1.2.0", 30)];
        AggregateRow[] rows = [Mean(1, "control", 50, 0.4, 0.1), Mean(1, "b", 50, 0.8, 0.1)];

        var pooled = PhasePooling.Combine(arms, MetricCatalog.FeedbackScore, rows, 0.95);
        Assert.Equal(["b"], pooled.Select(p => p.Variant));
        Assert.Empty(PhasePooling.Combine(arms, MetricCatalog.FeedbackScore, [], 0.95));
    }

    [Fact]
    public void Bad_input_is_refused_with_the_reason()
    {
        Assert.Contains("Unknown primary metric", Assert.Throws<ArgumentException>(() => PhasePooling.Combine(Arms, "nope", [], 0.95)).Message);
        Assert.Contains("two or more variants", Assert.Throws<ArgumentException>(() => PhasePooling.Combine([Arms[0]], MetricCatalog.FeedbackScore, [], 0.95)).Message);
    }
}
