namespace DomainPlatform.Statistics.Tests;

public class PowerAnalysisTests
{
    [Fact]
    public void Cohen_medium_effect_needs_64_per_group()
    {
        Assert.Equal(64, PowerAnalysis.TTestSampleSizePerGroup(0.5, 0.05, 0.8));
        Assert.True(PowerAnalysis.TTestPower(0.5, 63) < 0.8);
        Assert.True(PowerAnalysis.TTestPower(0.5, 64) >= 0.8);
    }

    [Theory]
    [InlineData(0.2, 394)]
    [InlineData(0.8, 26)]
    [InlineData(1.0, 17)]
    public void Cohen_small_and_large_effects_match_the_tables(double effect, long expected)
    {
        // pwr.t.test: d = 0.2 → 393.41, d = 0.8 → 25.52, d = 1 → 16.71 per group.
        Assert.Equal(expected, PowerAnalysis.TTestSampleSizePerGroup(effect));
    }

    [Fact]
    public void T_test_power_matches_R_power_t_test()
    {
        // R: power.t.test(n = 20, delta = 1) → power = 0.8689528; power.t.test(n = 64, delta = 0.5) → 0.8014596.
        Assert.Equal(0.8689528, PowerAnalysis.TTestPower(1, 20), 6);
        Assert.Equal(0.8014596, PowerAnalysis.TTestPower(0.5, 64), 6);
    }

    [Fact]
    public void T_test_sample_sizes_match_R_power_t_test()
    {
        // R: power.t.test(power = .90, delta = 1) → n = 22.02110; one-sided → n = 17.84713.
        Assert.Equal(23, PowerAnalysis.TTestSampleSizePerGroup(1, 0.05, 0.9));
        Assert.Equal(18, PowerAnalysis.TTestSampleSizePerGroup(1, 0.05, 0.9, Sides.OneSided));
        Assert.True(PowerAnalysis.TTestPower(1, 22, 0.05, Sides.TwoSided) < 0.9);
    }

    [Fact]
    public void Proportion_sample_size_matches_R_power_prop_test()
    {
        // R: power.prop.test(p1 = .50, p2 = .75, power = .90) → n = 76.7.
        Assert.Equal(76.7, PowerAnalysis.ProportionsSampleSizeExact(0.5, 0.75, 0.05, 0.9), 1);
        Assert.Equal(77, PowerAnalysis.ProportionsSampleSizePerGroup(0.5, 0.75, 0.05, 0.9));

        // R: power.prop.test(n = 50, p1 = .50, p2 = .75) → power = 0.740.
        Assert.Equal(0.740, PowerAnalysis.ProportionsPower(0.5, 0.75, 50), 3);
    }

    [Fact]
    public void Power_grows_with_samples_and_one_sided_tests_are_more_powerful()
    {
        var previous = 0.0;
        foreach (var n in new long[] { 5, 10, 20, 50, 100, 200 })
        {
            var power = PowerAnalysis.TTestPower(0.4, n);
            Assert.True(power > previous);
            previous = power;
        }

        Assert.True(PowerAnalysis.TTestPower(0.4, 50, 0.05, Sides.OneSided) > PowerAnalysis.TTestPower(0.4, 50));
        Assert.True(PowerAnalysis.ProportionsPower(0.1, 0.12, 5000) > PowerAnalysis.ProportionsPower(0.1, 0.12, 1000));
    }

    [Fact]
    public void Bad_inputs_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PowerAnalysis.TTestSampleSizePerGroup(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PowerAnalysis.TTestSampleSizePerGroup(0.5, alpha: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PowerAnalysis.TTestSampleSizePerGroup(0.5, power: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PowerAnalysis.TTestSampleSizePerGroup(1e-9));
        Assert.Throws<ArgumentOutOfRangeException>(() => PowerAnalysis.TTestPower(0.5, 1));
        Assert.Throws<ArgumentException>(() => PowerAnalysis.ProportionsSampleSizePerGroup(0.3, 0.3));
        Assert.Throws<ArgumentOutOfRangeException>(() => PowerAnalysis.ProportionsSampleSizePerGroup(0, 0.3));
    }
}
