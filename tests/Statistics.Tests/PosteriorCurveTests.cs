namespace DomainPlatform.Statistics.Tests;

public sealed class PosteriorCurveTests
{
    [Fact]
    public void A_rates_curve_is_its_beta_posterior_under_a_uniform_prior_point_by_point()
    {
        // 3 successes in 10: Beta(4, 8), whose density is 1320 x³ (1 − x)⁷ (1 / B(4, 8) = 11! / (3! 7!) = 1320).
        var curve = PosteriorCurve.Of(MetricSummary.Rate(10, 3))!;

        Assert.Equal((PosteriorCurve.BetaFamily, 4.0, 8.0), (curve.Family, curve.Alpha!.Value, curve.Beta!.Value));
        Assert.Equal(4.0 / 12, curve.Mean, 14);
        Assert.Equal(101, curve.X.Count);
        Assert.True(curve.X[0] >= 0 && curve.X[^1] <= 1);
        for (var i = 0; i < curve.X.Count; i++)
        {
            var x = curve.X[i];
            Assert.Equal(1320 * Math.Pow(x, 3) * Math.Pow(1 - x, 7), curve.Density[i], 1e-9);
        }
        Assert.True(curve.CredibleInterval.Lower < curve.Mean && curve.Mean < curve.CredibleInterval.Upper);
    }

    [Fact]
    public void A_means_curve_is_normal_around_the_sample_mean_with_the_standard_error()
    {
        // 100 observations, mean 100 and sample variance 400 (sd 20): N(100, 2²).
        const int n = 100;
        var sum = 100.0 * n;
        var sumOfSquares = 400.0 * (n - 1) + n * 100.0 * 100.0;
        var curve = PosteriorCurve.Of(MetricSummary.Mean(ContinuousSummary.FromSums(n, sum, sumOfSquares)))!;

        Assert.Equal(PosteriorCurve.NormalFamily, curve.Family);
        Assert.Null(curve.Alpha);
        Assert.Equal((100.0, 2.0), (Math.Round(curve.Mean, 10), Math.Round(curve.StandardDeviation, 10)));
        Assert.Equal((90.0, 110.0), (Math.Round(curve.X[0], 10), Math.Round(curve.X[^1], 10)));
        Assert.Equal(1 / (2 * Math.Sqrt(2 * Math.PI)), curve.Density[50], 12);
        Assert.Equal(100 - 1.959963984540054 * 2, curve.CredibleInterval.Lower, 9);
        // Over ±5 sd the trapezoid rule on 101 points holds all but 6e-7 of the mass.
        var mass = Enumerable.Range(1, curve.X.Count - 1).Sum(i => (curve.X[i] - curve.X[i - 1]) * (curve.Density[i] + curve.Density[i - 1]) / 2);
        Assert.Equal(1, mass, 3);
    }

    [Fact]
    public void A_mean_without_two_observations_with_spread_has_no_curve_yet()
    {
        Assert.Null(PosteriorCurve.Of(MetricSummary.Mean(ContinuousSummary.FromSums(1, 5, 25))));
        Assert.Null(PosteriorCurve.Of(MetricSummary.Mean(ContinuousSummary.FromSums(3, 15, 75))));
        Assert.NotNull(PosteriorCurve.Of(MetricSummary.Rate(0, 0)));
    }
}
