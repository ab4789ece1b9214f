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
    public void So_many_early_errors_that_the_ceiling_is_already_lost_roll_back_before_the_minimum()
    {
        // 6 errors are more than a 10% ceiling of 50 whatever the next 30 requests do.
        var result = CanaryVerdict.Evaluate(Baseline, Candidate(20, 6, 400, 100, 18), new CanaryThresholds { MaxErrorRate = 0.10 });

        Assert.Equal(CanaryOutcome.Rollback, result.Outcome);
        Assert.Equal(MetricVerdict.Fail, result.Metrics.Single(m => m.Metric == "error rate ceiling").Verdict);
        Assert.Equal(MetricVerdict.Hold, result.Metrics.Single(m => m.Metric == "error rate").Verdict);
        Assert.Contains("maxErrorRate ceiling 10.0 %", result.Reason);
    }

    [Fact]
    public void A_canary_clearly_above_the_stable_error_rate_rolls_back_naming_the_relative_limit_and_both_rates()
    {
        var result = CanaryVerdict.Evaluate(Baseline, Candidate(300, 60, 400, 100, 270));

        Assert.Equal(CanaryOutcome.Rollback, result.Outcome);
        var errors = result.Metrics.Single(m => m.Metric == "error rate");
        Assert.Equal(MetricVerdict.Fail, errors.Verdict);
        Assert.Equal((0.2, 0.01, 0.02, "maxErrorRateIncrease"), (errors.Candidate, errors.Baseline, errors.Limit, errors.LimitName));
        Assert.True(errors.PValue < 0.05);
        Assert.Contains("error rate 20.00 % (60/300) vs baseline 1.00 % (20/2000), +19.0 points, above maxErrorRateIncrease +2.0 points (two-proportion z-test p = ", result.Reason);
        // No ceiling by default: the relative check is the only error-rate limit.
        Assert.DoesNotContain(result.Metrics, m => m.Metric == "error rate ceiling");
    }

    [Fact]
    public void A_canary_that_fails_less_often_than_a_failing_stable_version_advances()
    {
        // The reported case: the canary at 75.7% errors while the stable version stood at 80.4%, same window.
        var stable = new CanaryMetrics(Errors: new BinarySummary(1000, 804));
        var canary = new CanaryMetrics(Errors: new BinarySummary(140, 106));

        var result = CanaryVerdict.Evaluate(stable, canary);

        Assert.Equal(CanaryOutcome.Continue, result.Outcome);
        Assert.Contains("vs baseline 80.40 % (804/1000), -4.7 points, within maxErrorRateIncrease +2.0 points", result.Reason);
    }

    [Fact]
    public void The_absolute_ceiling_is_a_second_separate_limit_with_its_own_name()
    {
        // Both versions fail 30% of requests: relative to the stable one the canary is fine, but the domain's ceiling is 10%.
        var stable = new CanaryMetrics(Errors: new BinarySummary(2000, 600));
        var canary = new CanaryMetrics(Errors: new BinarySummary(300, 90));

        var result = CanaryVerdict.Evaluate(stable, canary, new CanaryThresholds { MaxErrorRate = 0.10 });

        Assert.Equal(CanaryOutcome.Rollback, result.Outcome);
        Assert.Equal(MetricVerdict.Pass, result.Metrics.Single(m => m.Metric == "error rate").Verdict);
        var ceiling = result.Metrics.Single(m => m.Metric == "error rate ceiling");
        Assert.Equal((MetricVerdict.Fail, "maxErrorRate", 0.10), (ceiling.Verdict, ceiling.LimitName, ceiling.Limit));
        Assert.StartsWith("Roll back: error rate 30.00 % (90/300) is above the maxErrorRate ceiling 10.0 % (exact binomial p = ", result.Reason);
        Assert.DoesNotContain(";", result.Reason);
    }

    [Theory]
    [InlineData(0.0, 100, 1, 100, 1, MetricVerdict.Pass)]     // equal rates, no increase tolerated
    [InlineData(0.0, 100, 1, 100, 2, MetricVerdict.Hold)]     // one more error: not significant
    [InlineData(0.02, 1000, 10, 1000, 30, MetricVerdict.Pass)] // exactly the allowed +2 points
    [InlineData(0.02, 1000, 10, 1000, 31, MetricVerdict.Hold)] // just beyond, not significantly
    [InlineData(0.02, 1000, 10, 1000, 80, MetricVerdict.Fail)] // +7 points
    [InlineData(0.02, 100, 0, 100, 100, MetricVerdict.Fail)]   // everything fails on the canary, nothing on the stable
    [InlineData(0.05, 50, 50, 50, 50, MetricVerdict.Pass)]     // everything fails on both
    public void The_relative_error_check_tests_the_difference_against_the_allowed_increase(
        double allowed, long baselineRequests, long baselineErrors, long canaryRequests, long canaryErrors, MetricVerdict expected)
    {
        var result = CanaryVerdict.Evaluate(new CanaryMetrics(Errors: new BinarySummary(baselineRequests, baselineErrors)),
            new CanaryMetrics(Errors: new BinarySummary(canaryRequests, canaryErrors)), new CanaryThresholds { MaxErrorRateIncrease = allowed });

        Assert.Equal(expected, result.Metrics.Single(m => m.Metric == "error rate").Verdict);
    }

    [Fact]
    public void Without_baseline_requests_in_the_window_the_error_rate_holds()
    {
        var result = CanaryVerdict.Evaluate(new CanaryMetrics(Errors: BinarySummary.Empty), new CanaryMetrics(Errors: new BinarySummary(100, 90)));

        Assert.Equal(CanaryOutcome.Hold, result.Outcome);
        Assert.Contains("the baseline served no requests in this window", result.Reason);
        Assert.Contains("maxErrorRateIncrease", result.Reason);
    }

    [Fact]
    public void Too_few_baseline_requests_hold_the_relative_error_check()
    {
        var result = CanaryVerdict.Evaluate(new CanaryMetrics(Errors: new BinarySummary(20, 0)), new CanaryMetrics(Errors: new BinarySummary(500, 5)));

        Assert.Equal(CanaryOutcome.Hold, result.Outcome);
        Assert.Contains("20 samples, fewer than the 50 needed before maxErrorRateIncrease is judged", result.Reason);
    }

    [Fact]
    public void An_error_rate_just_above_the_allowed_increase_holds_for_more_evidence()
    {
        // 5% against the stable 1%: 4 points, above the 2 allowed, but 60 requests cannot tell.
        var result = CanaryVerdict.Evaluate(Baseline, Candidate(60, 3, 400, 100, 54));

        Assert.Equal(CanaryOutcome.Hold, result.Outcome);
        Assert.Contains("above maxErrorRateIncrease +2.0 points but not yet significantly", result.Reason);
    }

    [Fact]
    public void A_A_canaries_with_equal_error_rates_are_rarely_rolled_back()
    {
        // Same true error rate on both arms, over the same window: rollbacks are false ones, and the allowed increase
        // keeps them far below alpha.
        var random = new Random(20261201);
        var rollbacks = 0;
        const int runs = 2000;
        for (var run = 0; run < runs; run++)
        {
            var stable = new BinarySummary(2000, Binomial(random, 2000, 0.05));
            var canary = new BinarySummary(200, Binomial(random, 200, 0.05));
            var result = CanaryVerdict.Evaluate(new CanaryMetrics(Errors: stable), new CanaryMetrics(Errors: canary));
            rollbacks += result.Outcome == CanaryOutcome.Rollback ? 1 : 0;
        }

        Assert.True(rollbacks < 0.01 * runs, $"{rollbacks} false rollbacks in {runs}");
    }

    private static long Binomial(Random random, int trials, double p)
    {
        var successes = 0L;
        for (var i = 0; i < trials; i++) successes += random.NextDouble() < p ? 1 : 0;
        return successes;
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
        Assert.Contains("latency 590 vs baseline 400 (x1.48) within maxLatencyRatio x1.5", fine.Reason);
        Assert.Contains("is above maxLatencyRatio x1.5 (Welch p = ", slow.Reason);
    }

    [Fact]
    public void An_accuracy_drop_beyond_five_percent_rolls_back_and_a_small_one_passes()
    {
        // Baseline 90%: 80% is an 11% relative drop.
        var worse = CanaryVerdict.Evaluate(Baseline, Candidate(500, 5, 400, 100, 400));
        Assert.Equal(CanaryOutcome.Rollback, worse.Outcome);
        Assert.Contains("dropped 11.1 %, more than maxAccuracyDrop 5 %", worse.Reason);

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
        Assert.Equal(MetricVerdict.Pass, result.Metrics.Single(m => m.Metric == "error rate").Verdict);
        Assert.Equal(0.005, result.Metrics.Single(m => m.Metric == "error rate ceiling").Limit);
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
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryVerdict.Evaluate(Baseline, Candidate(100, 1, 400, 100, 90), new CanaryThresholds { MaxErrorRate = 1.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryVerdict.Evaluate(Baseline, Candidate(100, 1, 400, 100, 90), new CanaryThresholds { MaxErrorRate = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryVerdict.Evaluate(Baseline, Candidate(100, 1, 400, 100, 90), new CanaryThresholds { MaxErrorRateIncrease = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryVerdict.Evaluate(Baseline, Candidate(100, 1, 400, 100, 90), new CanaryThresholds { MaxErrorRateIncrease = -0.01 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => CanaryVerdict.Evaluate(Baseline, Candidate(100, 1, 400, 100, 90), new CanaryThresholds { MaxAccuracyRelativeDrop = -0.1 }));
        Assert.Throws<ArgumentException>(() => CanaryVerdict.Evaluate(Baseline,
            new CanaryMetrics(Accuracy: MetricSummary.Mean(ContinuousSummary.FromMoments(100, 0.9, 0.1)))));
    }
}
