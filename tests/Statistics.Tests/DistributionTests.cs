namespace DomainPlatform.Statistics.Tests;

public class DistributionTests
{
    [Theory]
    [InlineData(0.975, 1.959963984540054)]
    [InlineData(0.025, -1.959963984540054)]
    [InlineData(0.95, 1.6448536269514722)]
    [InlineData(0.995, 2.5758293035489004)]
    [InlineData(0.5, 0.0)]
    [InlineData(0.8, 0.8416212335729143)]
    public void Normal_quantiles_match_published_values_to_1e_9(double p, double expected)
    {
        Assert.Equal(expected, Distributions.NormalQuantile(p), 1e-9);
    }

    [Theory]
    [InlineData(0.95, 1, 3.841458820694124)]
    [InlineData(0.95, 3, 7.814727903251178)]
    [InlineData(0.95, 2, 5.991464547107979)]
    [InlineData(0.99, 1, 6.6348966010212145)]
    public void Chi_square_quantiles_match_published_values_to_1e_9(double p, double degreesOfFreedom, double expected)
    {
        Assert.Equal(expected, Distributions.ChiSquareQuantile(p, degreesOfFreedom), 1e-9);
    }

    [Theory]
    [InlineData(0.975, 1, 12.706204736174696)]
    [InlineData(0.975, 10, 2.2281388519649385)]
    [InlineData(0.95, 30, 1.6972608865939574)]
    public void Student_t_quantiles_match_published_values_to_1e_9(double p, double degreesOfFreedom, double expected)
    {
        Assert.Equal(expected, Distributions.StudentTQuantile(p, degreesOfFreedom), 1e-9);
    }

    [Fact]
    public void Quantiles_invert_their_distribution_functions()
    {
        foreach (var p in new[] { 1e-6, 0.001, 0.025, 0.3, 0.5, 0.7, 0.975, 0.999, 1 - 1e-6 })
        {
            Assert.Equal(p, Distributions.NormalCdf(Distributions.NormalQuantile(p)), 1e-13);
            foreach (var df in new[] { 1.0, 2.5, 7, 17.776, 120, 5000 })
            {
                Assert.Equal(p, Distributions.StudentTCdf(Distributions.StudentTQuantile(p, df), df), 1e-12);
                Assert.Equal(p, Distributions.ChiSquareCdf(Distributions.ChiSquareQuantile(p, df), df), 1e-12);
            }

            Assert.Equal(p, Distributions.BetaCdf(Distributions.BetaQuantile(p, 3, 7), 3, 7), 1e-12);
        }
    }

    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(0.5, 0.5)]
    [InlineData(2.0, 200.0)]
    [InlineData(1_000_001.0, 9_000_001.0)]
    public void Beta_quantiles_invert_the_cdf_from_flat_to_ten_million_observation_posteriors(double a, double b)
    {
        foreach (var p in new[] { 0.001, 0.025, 0.5, 0.975, 0.999 })
        {
            Assert.Equal(p, Distributions.BetaCdf(Distributions.BetaQuantile(p, a, b), a, b), 1e-9);
        }
    }

    [Fact]
    public void Normal_cdf_and_tails_match_known_values()
    {
        Assert.Equal(0.9750021048517795, Distributions.NormalCdf(1.96), 1e-14);
        Assert.Equal(0.5, Distributions.NormalCdf(0), 1e-15);

        // The upper tail keeps its relative accuracy where 1 − CDF would round to zero.
        Assert.Equal(7.619853024160527e-24, Distributions.NormalSurvival(10), 1e-30);
        Assert.Equal(0.05, Distributions.ChiSquareSurvival(3.841458820694124, 1), 1e-12);
    }

    [Fact]
    public void Student_t_tends_to_the_normal_and_is_symmetric()
    {
        Assert.Equal(Distributions.NormalCdf(1.3), Distributions.StudentTCdf(1.3, double.PositiveInfinity), 15);
        Assert.Equal(Distributions.NormalCdf(1.3), Distributions.StudentTCdf(1.3, 1e9), 8);

        // No jump where the computation switches to the large-ν expansion.
        foreach (var t in new[] { -4.0, -1.3, 0.2, 2.5 })
        {
            Assert.Equal(Distributions.StudentTCdf(t, 99_999), Distributions.StudentTCdf(t, 100_001), 9);
        }
        Assert.Equal(1 - Distributions.StudentTCdf(0.7, 5), Distributions.StudentTCdf(-0.7, 5), 14);
        Assert.Equal(0.75, Distributions.StudentTCdf(1, 1), 14);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void Probabilities_outside_the_open_unit_interval_are_rejected(double p)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Distributions.NormalQuantile(p));
        Assert.Throws<ArgumentOutOfRangeException>(() => Distributions.ChiSquareQuantile(p, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Distributions.StudentTQuantile(p, 3));
    }

    [Fact]
    public void Non_positive_degrees_of_freedom_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Distributions.StudentTCdf(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Distributions.ChiSquareSurvival(1, -2));
    }

    [Fact]
    public void Noncentral_t_with_zero_noncentrality_is_the_central_t()
    {
        foreach (var t in new[] { -3.0, -0.5, 0, 1.2, 4 })
        {
            Assert.Equal(Distributions.StudentTCdf(t, 9), NoncentralT.Cdf(t, 9, 0), 14);
        }
    }

    [Fact]
    public void Noncentral_t_matches_its_definition_by_direct_integration_and_reflection()
    {
        // P(T ≤ 0) = P(Z + δ ≤ 0) = Φ(−δ) whatever the degrees of freedom.
        Assert.Equal(Distributions.NormalCdf(-1.5), NoncentralT.Cdf(0, 7, 1.5), 10);

        // Reflection: P(T ≤ t; δ) = P(T ≥ −t; −δ).
        Assert.Equal(NoncentralT.Cdf(1.1, 12, 2), 1 - NoncentralT.Cdf(-1.1, 12, -2), 10);

        // Large degrees of freedom: the normal shifted by δ.
        Assert.Equal(Distributions.NormalCdf(2.2 - 1.7), NoncentralT.Cdf(2.2, 1e6, 1.7), 5);
        Assert.Equal(NoncentralT.Survival(1.3, 4, 0.8), 1 - NoncentralT.Cdf(1.3, 4, 0.8), 10);
    }
}
