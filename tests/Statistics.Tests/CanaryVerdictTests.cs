namespace DomainPlatform.Statistics.Tests;

public class CanaryVerdictTests
{
    private static readonly CanaryMetrics Baseline = new(
        Accuracy: MetricSummary.Rate(2000, 1800),
        Latency: ContinuousSummary.FromMoments(2000, 400, 100 * 100),
        Errors: new BinarySummary(2000, 20));

    private static CanaryMetrics Candidate(long requests, long errors, double latencyMean, double latencySd, long correct) => new(
        Accuracy: MetricSummary.Rate(requests, correct),
        Latency: ContinuousSummary.FromMoments(requests, latencyMean, latencySd * latencySd),
        Errors: new BinarySummary(requests, errors));

    [Fact]
    public void A_healthy_candidate_advances_with_every_metric_passing()
    {
        var result = CanaryVerdict.Evaluate(Baseline, Candidate(300, 3, 410, 100, 268));

        Assert.Equal(CanaryOutcome.Continue, result.Outcome);
        Assert.All(result.Metrics, m => Assert.Equal(MetricVerdict.Pass, m.Verdict));
        Assert.Equal(["error rate", "latency", "accuracy"], result.Metrics.Select(m => m.Metric));
        Assert.StartsWith("Advance:", result.Reason);
    }

    [Fact]
    public void Fewer_than_the_minimum_samples_hold()
    {
        var result = CanaryVerdict.Evaluate(Baseline, Candidate(30, 1, 400, 100, 27));

        Assert.Equal(CanaryOutcome.Hold, result.Outcome);
        Assert.All(result.Metrics, m => Assert.Equal(MetricVerdict.Hold, m.Verdict));
        Assert.Contains("fewer than the 50 needed", result.Reason);
    }

    [Fact]
    public void So_many_early_errors_that_the_limit_is_already_lost_roll_back_before_the_minimum()
    {
        // 6 errors are more than 10% of 50 whatever the next 30 requests do.
        var result = CanaryVerdict.Evaluate(Baseline, Candidate(20, 6, 400, 100, 18));

        Assert.Equal(CanaryOutcome.Rollback, result.Outcome);
        Assert.Equal(MetricVerdict.Fail, result.Metrics.Single(m => m.Metric == "error rate").Verdict);
    }

    [Fact]
    public void A_clearly_excessive_error_rate_rolls_back()
    {
        var result = CanaryVerdict.Evaluate(Baseline, Candidate(300, 60, 400, 100, 270));

        Assert.Equal(CanaryOutcome.Rollback, result.Outcome);
        var errors = result.Metrics.Single(m => m.Metric == "error rate");
        Assert.Equal(MetricVerdict.Fail, errors.Verdict);
        Assert.Equal(0.2, errors.Candidate, 12);
        Assert.Equal(0.01, errors.Baseline, 12);
        Assert.True(errors.PValue < 0.05);
        Assert.Contains("error rate 20.00 % (60/300) is above 10.0 %", result.Reason);
    }

    [Fact]
    public void An_error_rate_just_above_the_limit_holds_for_more_evidence()
    {
        var result = CanaryVerdict.Evaluate(Baseline, Candidate(60, 7, 400, 100, 54));

        Assert.Equal(CanaryOutcome.Hold, result.Outcome);
        Assert.Contains("not yet significantly", result.Reason);
    }

    [Fact]
    public void Latency_clearly_beyond_the_ratio_rolls_back_and_noisy_excess_holds()
    {
        var slow = CanaryVerdict.Evaluate(Baseline, Candidate(300, 3, 900, 150, 270));
        Assert.Equal(CanaryOutcome.Rollback, slow.Outcome);
        Assert.Equal(MetricVerdict.Fail, slow.Metrics.Single(m => m.Metric == "latency").Verdict);

        var noisy = CanaryVerdict.Evaluate(Baseline, Candidate(60, 0, 640, 2000, 54));
        Assert.Equal(CanaryOutcome.Hold, noisy.Outcome);
        Assert.Equal(MetricVerdict.Hold, noisy.Metrics.Single(m => m.Metric == "latency").Verdict);

        var fine = CanaryVerdict.Evaluate(Baseline, Candidate(300, 3, 590, 100, 270));
        Assert.Equal(MetricVerdict.Pass, fine.Metrics.Single(m => m.Metric == "latency").Verdict);
    }

    [Fact]
    public void An_accuracy_drop_beyond_five_percent_rolls_back_and_a_small_one_passes()
    {
        // Baseline 90%: 80% is an 11% relative drop.
        var worse = CanaryVerdict.Evaluate(Baseline, Candidate(500, 5, 400, 100, 400));
        Assert.Equal(CanaryOutcome.Rollback, worse.Outcome);
        Assert.Contains("dropped 11.1 %", worse.Reason);

        // 87% is a 3.3% drop: within the 5% allowed.
        var slightly = CanaryVerdict.Evaluate(Baseline, Candidate(500, 5, 400, 100, 435));
        Assert.Equal(MetricVerdict.Pass, slightly.Metrics.Single(m => m.Metric == "accuracy").Verdict);
    }

    [Fact]
    public void Mean_feedback_scores_are_judged_like_rates()
    {
        var baseline = new CanaryMetrics(Accuracy: MetricSummary.Mean(ContinuousSummary.FromMoments(500, 4.2, 0.5)));
        var candidate = new CanaryMetrics(Accuracy: MetricSummary.Mean(ContinuousSummary.FromMoments(400, 3.6, 0.5)));

        var result = CanaryVerdict.Evaluate(baseline, candidate);

        Assert.Equal(CanaryOutcome.Rollback, result.Outcome);
        Assert.Single(result.Metrics);
    }

    [Fact]
    public void Custom_thresholds_replace_the_defaults()
    {
        var strict = new CanaryThresholds { MaxErrorRate = 0.005, MinimumSamples = 100 };
        var result = CanaryVerdict.Evaluate(Baseline, Candidate(2000, 40, 400, 100, 1800), strict);

        Assert.Equal(CanaryOutcome.Rollback, result.Outcome);
        Assert.Equal(0.005, result.Metrics.Single(m => m.Metric == "error rate").Limit);
    }

    [Fact]
    public void A_metric_the_baseline_lacks_holds()
    {
        var result = CanaryVerdict.Evaluate(new CanaryMetrics(Errors: new BinarySummary(100, 1)), Candidate(300, 3, 400, 100, 270));

        Assert.Equal(CanaryOutcome.Hold, result.Outcome);
        Assert.Contains("baseline reports no latency", result.Reason);
    }

    [Fact]
    public void Bad_inputs_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => CanaryVerdict.Evaluate(Baseline, new CanaryMetrics()));
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryVerdict.Evaluate(Baseline, Candidate(100, 1, 400, 100, 90), new CanaryThresholds { MaxLatencyRatio = 0.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryVerdict.Evaluate(Baseline, Candidate(100, 1, 400, 100, 90), new CanaryThresholds { MaxErrorRate = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryVerdict.Evaluate(Baseline, Candidate(100, 1, 400, 100, 90), new CanaryThresholds { MaxAccuracyRelativeDrop = -0.1 }));
        Assert.Throws<ArgumentException>(() => CanaryVerdict.Evaluate(Baseline,
            new CanaryMetrics(Accuracy: MetricSummary.Mean(ContinuousSummary.FromMoments(100, 0.9, 0.1)))));
    }
}
