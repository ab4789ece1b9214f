using DomainPlatform.Deployment.Domain;

namespace DomainPlatform.Deployment.Tests;

public sealed class StepEstimatorTests
{
    private static readonly TimeSpan NoMinimum = TimeSpan.Zero;

    /// <summary>A domain that served <paramref name="perSecond"/> requests a second over the last 15 minutes.</summary>
    private static TrafficReading Rate(double perSecond) => TrafficReading.Of(new TrafficRate((long)(perSecond * 900) + 5, (long)(perSecond * 900), 900));

    [Fact]
    public void Unknown_traffic_gives_no_estimate_and_says_why()
    {
        var estimate = StepEstimator.Estimate(TrafficReading.None("experimentation did not tell the domain's recent traffic (Unavailable)"), 1, 50, NoMinimum);

        Assert.Null(estimate.Seconds);
        Assert.Null(estimate.Warning);
        Assert.Equal("no request rate known for the domain: experimentation did not tell the domain's recent traffic (Unavailable)", estimate.Reason);
    }

    [Fact]
    public void A_domain_without_served_requests_in_the_window_gives_no_estimate()
    {
        var estimate = StepEstimator.Estimate(TrafficReading.Of(new TrafficRate(12, 0, 900)), 10, 50, NoMinimum);

        Assert.Null(estimate.Seconds);
        Assert.Equal("no request rate known for the domain: no served requests in the last 900 s", estimate.Reason);
    }

    [Theory]
    [InlineData(10.0, 1, 50, 500)]    // the canary's 0.1 req/s is the bottleneck
    [InlineData(10.0, 10, 50, 50)]
    [InlineData(10.0, 50, 50, 10)]    // both sides alike
    [InlineData(10.0, 90, 50, 50)]    // now the stable side is the bottleneck
    [InlineData(1.0, 25, 3, 12)]
    public void The_step_needs_minSamples_on_the_slower_side(double perSecond, double weight, long minSamples, double seconds)
    {
        var estimate = StepEstimator.Estimate(Rate(perSecond), weight, minSamples, NoMinimum);

        Assert.Equal(seconds, estimate.Seconds);
        Assert.Null(estimate.Warning);
        Assert.Contains($"{minSamples} samples a side at {weight}% of", estimate.Reason);
    }

    [Fact]
    public void The_minimum_step_duration_bounds_the_estimate_from_below()
    {
        var estimate = StepEstimator.Estimate(Rate(10), 50, 50, TimeSpan.FromMinutes(5));

        Assert.Equal(300, estimate.Seconds);
        Assert.EndsWith("the step's minimum is 5 min", estimate.Reason);
    }

    [Fact]
    public void A_step_over_an_hour_warns_and_names_a_first_weight_that_would_make_it()
    {
        // The reported case: a few hundred users, 0.1 served requests/s, 1% first step, 50 samples: about 14 h.
        var estimate = StepEstimator.Estimate(Rate(0.1), 1, 50, NoMinimum);

        Assert.Equal(50_000, estimate.Seconds);
        Assert.NotNull(estimate.Warning);
        Assert.StartsWith("this step needs about 13.9 h, more than 60 min: at 1% the canary gets 50 samples in about 13.9 h; a weight of 14% ", estimate.Warning);
        Assert.Contains("firstWeight, or POST /api/rollouts/{id}/weight", estimate.Warning);
        Assert.Equal(14, StepEstimator.WeightWithinLimit(0.1, 50));
        Assert.True(StepEstimator.Estimate(Rate(0.1), 14, 50, NoMinimum).Seconds <= 3600);
    }

    [Fact]
    public void A_step_that_no_weight_can_shorten_says_so()
    {
        // 0.01 served requests/s: 50 samples a side need over an hour even at 50%.
        var estimate = StepEstimator.Estimate(Rate(0.01), 1, 50, NoMinimum);

        Assert.Null(StepEstimator.WeightWithinLimit(0.01, 50));
        Assert.Contains("cannot give 50 samples a side within an hour at any weight; a smaller minSamples would", estimate.Warning);
    }

    [Fact]
    public void A_long_minimum_step_warns_about_itself()
    {
        var estimate = StepEstimator.Estimate(Rate(10), 10, 50, TimeSpan.FromHours(2));

        Assert.Equal(7200, estimate.Seconds);
        Assert.EndsWith("its minStepSeconds alone is 7200", estimate.Warning);
    }

    [Fact]
    public void Exactly_an_hour_does_not_warn()
    {
        // 50 samples at 1% of 50/36 req/s: exactly 3600 s.
        var estimate = StepEstimator.Estimate(TrafficReading.Of(new TrafficRate(1250, 1250, 900)), 1, 50, NoMinimum);

        Assert.Equal(3600, estimate.Seconds);
        Assert.Null(estimate.Warning);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(100)]
    public void Only_canary_weights_are_estimated(double weight) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => StepEstimator.Estimate(Rate(1), weight, 50, NoMinimum));

    [Theory]
    [InlineData(45, "45 s")]
    [InlineData(600, "10 min")]
    [InlineData(9000, "2.5 h")]
    public void Durations_read_as_an_operator_reads_them(double seconds, string text) => Assert.Equal(text, StepEstimator.Duration(seconds));
}
