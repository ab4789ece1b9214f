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

    // References: mpmath 1.3 at 40 digits, P(T ≤ t) = ½·I_{ν/(ν+t²)}(ν/2, ½) for t < 0 (tests/Statistics.Tests/reference/student_t.py).
    [Theory]
    [InlineData(-30, 20.0, 2.0976126619998291e-18)]
    [InlineData(-12, 20.0, 6.7977785129403396e-11)]
    [InlineData(-7.5, 20.0, 1.5565016265959421e-7)]
    [InlineData(-3, 20.0, 0.0035379493956055482)]
    [InlineData(-1, 20.0, 0.16462828858585453)]
    [InlineData(-0.05, 20.0, 0.4803091854993948)]
    [InlineData(-30, 99.0, 8.5042495586410896e-52)]
    [InlineData(-12, 99.0, 2.5653148439487427e-21)]
    [InlineData(-7.5, 99.0, 1.3901386613965557e-11)]
    [InlineData(-3, 99.0, 0.0017077539607894338)]
    [InlineData(-1, 99.0, 0.1598742370696507)]
    [InlineData(-0.05, 99.0, 0.48011156392135572)]
    [InlineData(-30, 200.0, 2.8620806044139259e-76)]
    [InlineData(-12, 200.0, 1.2110680026233157e-25)]
    [InlineData(-7.5, 200.0, 1.0195249576464275e-12)]
    [InlineData(-3, 200.0, 0.0015215235569529514)]
    [InlineData(-1, 200.0, 0.15925942395487333)]
    [InlineData(-0.05, 200.0, 0.48008614343663329)]
    [InlineData(-30, 1000.0, 7.6873437220217411e-142)]
    [InlineData(-12, 1000.0, 2.1620286933872637e-31)]
    [InlineData(-7.5, 1000.0, 7.0286467306057938e-14)]
    [InlineData(-3, 1000.0, 0.0013833545221190962)]
    [InlineData(-1, 1000.0, 0.15877620904233615)]
    [InlineData(-0.05, 1000.0, 0.48006618653597592)]
    [InlineData(-30, 5000.0, 2.845829058930851e-182)]
    [InlineData(-12, 5000.0, 4.9833282131741734e-33)]
    [InlineData(-7.5, 5000.0, 3.7542058159283188e-14)]
    [InlineData(-3, 5000.0, 0.001356554512142897)]
    [InlineData(-1, 5000.0, 0.15867944979401502)]
    [InlineData(-0.05, 5000.0, 0.48006219273667414)]
    [InlineData(-30, 10001.0, 1.020316714000203e-189)]
    [InlineData(-12, 10001.0, 2.9897356406243202e-33)]
    [InlineData(-7.5, 10001.0, 3.4621202522376258e-14)]
    [InlineData(-3, 10001.0, 0.0013532237622080997)]
    [InlineData(-1, 10001.0, 0.1586673509555424)]
    [InlineData(-0.05, 10001.0, 0.48006169340548113)]
    [InlineData(-30, 30000.0, 3.7269369212001526e-195)]
    [InlineData(-12, 30000.0, 2.1154561312869464e-33)]
    [InlineData(-7.5, 30000.0, 3.2790836351087502e-14)]
    [InlineData(-3, 30000.0, 0.0013510062356349662)]
    [InlineData(-1, 30000.0, 0.15865928674325847)]
    [InlineData(-0.05, 30000.0, 0.48006136059427616)]
    [InlineData(-30, 99000.0, 3.7647578469477356e-197)]
    [InlineData(-12, 99000.0, 1.8732452117100695e-33)]
    [InlineData(-7.5, 99000.0, 3.2173860079212473e-14)]
    [InlineData(-3, 99000.0, 0.0013502337999353238)]
    [InlineData(-1, 99000.0, 0.15865647600273726)]
    [InlineData(-0.05, 99000.0, 0.4800612445959102)]
    [InlineData(-30, 100001.0, 3.6891944529592903e-197)]
    [InlineData(-12, 100001.0, 1.872251923856334e-33)]
    [InlineData(-7.5, 100001.0, 3.217119814296585e-14)]
    [InlineData(-3, 100001.0, 0.0013502304387080711)]
    [InlineData(-1, 100001.0, 0.15865646376995665)]
    [InlineData(-0.05, 100001.0, 0.48006124409106871)]
    [InlineData(-30, 150000.0, 1.8882168748512213e-197)]
    [InlineData(-12, 150000.0, 1.8397894865689613e-33)]
    [InlineData(-7.5, 150000.0, 3.2083555782486028e-14)]
    [InlineData(-3, 150000.0, 0.0013501196337268684)]
    [InlineData(-1, 150000.0, 0.1586560604991945)]
    [InlineData(-0.05, 150000.0, 0.48006122744826841)]
    [InlineData(-30, 1000000.0, 6.0100471168317189e-198)]
    [InlineData(-12, 1000000.0, 1.7858425623825449e-33)]
    [InlineData(-7.5, 1000000.0, 3.1935057368574253e-14)]
    [InlineData(-3, 1000000.0, 0.0013499312707108985)]
    [InlineData(-1, 1000000.0, 0.15865537491678906)]
    [InlineData(-0.05, 1000000.0, 0.48006119915462721)]
    [InlineData(-30, 100000000.0, 4.9166821429416325e-198)]
    [InlineData(-12, 100000000.0, 1.7765754821344811e-33)]
    [InlineData(-7.5, 100000000.0, 3.1909178039176465e-14)]
    [InlineData(-3, 100000000.0, 0.0013498983640187472)]
    [InlineData(-1, 100000000.0, 0.15865525514131067)]
    [InlineData(-0.05, 100000000.0, 0.48006119421155754)]
    [InlineData(-30, 100000000000.0, 4.9067238853219888e-198)]
    [InlineData(-12, 100000000000.0, 1.7764822054453739e-33)]
    [InlineData(-7.5, 100000000000.0, 3.1908916990418058e-14)]
    [InlineData(-3, 100000000000.0, 0.0013498980319624832)]
    [InlineData(-1, 100000000000.0, 0.15865525393266691)]
    [InlineData(-0.05, 100000000000.0, 0.48006119416167747)]
    public void Student_t_lower_tails_hold_1e_12_relative_accuracy_from_small_to_huge_degrees_of_freedom(double t, double degreesOfFreedom, double expected)
    {
        Assert.True(Math.Abs(Distributions.StudentTCdf(t, degreesOfFreedom) / expected - 1) < 1e-12,
            $"t = {t}, ν = {degreesOfFreedom}: {Distributions.StudentTCdf(t, degreesOfFreedom):R} against {expected:R}");
        // The upper tail is the same figure by symmetry.
        Assert.True(Math.Abs(Distributions.StudentTSurvival(-t, degreesOfFreedom) / expected - 1) < 1e-12);
        Assert.Equal(1 - expected, Distributions.StudentTCdf(-t, degreesOfFreedom), 1e-13);
    }

    [Theory]
    [InlineData(1e-09, 150000.0, -5.9981766363341399)]
    [InlineData(0.001, 150000.0, -3.0902866412364711)]
    [InlineData(0.3, 150000.0, -0.52440162705743327)]
    [InlineData(1e-09, 10000000.0, -5.9978125590383707)]
    [InlineData(0.001, 10000000.0, -3.0902331211809118)]
    [InlineData(0.3, 10000000.0, -0.5244005294232538)]
    public void Student_t_quantiles_hold_1e_12_for_huge_degrees_of_freedom(double p, double degreesOfFreedom, double expected)
    {
        Assert.Equal(expected, Distributions.StudentTQuantile(p, degreesOfFreedom), 1e-12);
        // 1 − p is rounded to a double, so the upper quantile is checked for symmetry with the p it really holds.
        Assert.Equal(-Distributions.StudentTQuantile(1 - (1 - p), degreesOfFreedom), Distributions.StudentTQuantile(1 - p, degreesOfFreedom), 1e-12);
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
