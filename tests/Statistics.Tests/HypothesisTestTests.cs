namespace DomainPlatform.Statistics.Tests;

public class HypothesisTestTests
{
    // R's sleep data: extra hours of sleep for two drugs (groups 1 and 2).
    private static readonly double[] SleepGroup1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
    private static readonly double[] SleepGroup2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

    [Fact]
    public void Welch_test_on_the_sleep_data_matches_R_t_test()
    {
        // R: t.test(extra ~ group, data = sleep): mean(group 1) − mean(group 2).
        var result = WelchTest.Compare(
            control: ContinuousSummary.FromValues(SleepGroup2),
            treatment: ContinuousSummary.FromValues(SleepGroup1));

        Assert.Equal(-1.8608, result.Statistic, 4);
        Assert.Equal(17.776, result.DegreesOfFreedom, 3);
        Assert.Equal(0.07939, result.PValueTwoSided, 5);
        Assert.Equal(-3.3654832, result.ConfidenceInterval.Lower, 6);
        Assert.Equal(0.2054832, result.ConfidenceInterval.Upper, 6);
        Assert.Equal(0.75, result.TreatmentEstimate, 12);
        Assert.Equal(2.33, result.ControlEstimate, 12);
        Assert.Equal(-1.58, result.Difference, 12);
    }

    [Fact]
    public void Welch_one_sided_p_values_split_the_two_sided_one()
    {
        var result = WelchTest.Compare(ContinuousSummary.FromValues(SleepGroup2), ContinuousSummary.FromValues(SleepGroup1));

        // R: t.test(..., alternative = "less") gives p = 0.0397.
        Assert.Equal(0.0397, result.PValueLess, 4);
        Assert.Equal(1 - result.PValueLess, result.PValueGreater, 12);
        Assert.Equal(result.PValueTwoSided, 2 * result.PValueLess, 12);
        Assert.Equal(result.PValueLess, result.PValue(Alternative.Less));
    }

    [Fact]
    public void Welch_relative_interval_is_the_delta_method_interval()
    {
        var control = ContinuousSummary.FromMoments(400, 10, 9);
        var treatment = ContinuousSummary.FromMoments(500, 11, 16);
        var result = WelchTest.Compare(control, treatment);

        var variance = (16.0 / 500) / 100 + 121 * (9.0 / 400) / 10_000;
        var half = 1.959963984540054 * Math.Sqrt(variance);
        Assert.Equal(0.1, result.RelativeDifference, 12);
        Assert.Equal(0.1 - half, result.RelativeConfidenceInterval.Lower, 10);
        Assert.Equal(0.1 + half, result.RelativeConfidenceInterval.Upper, 10);
    }

    [Fact]
    public void Welch_null_difference_shifts_the_statistic()
    {
        var control = ContinuousSummary.FromMoments(50, 10, 4);
        var treatment = ContinuousSummary.FromMoments(50, 11, 4);
        var plain = WelchTest.Compare(control, treatment);
        var shifted = WelchTest.Compare(control, treatment, nullDifference: 1);

        Assert.Equal(0, shifted.Statistic, 12);
        Assert.Equal(1, shifted.PValueTwoSided, 12);
        Assert.Equal(plain.ConfidenceInterval, shifted.ConfidenceInterval);
    }

    [Fact]
    public void Welch_with_constant_groups_knows_the_difference_exactly()
    {
        var same = WelchTest.Compare(ContinuousSummary.FromMoments(5, 3, 0), ContinuousSummary.FromMoments(5, 3, 0));
        Assert.Equal(1, same.PValueTwoSided);

        var apart = WelchTest.Compare(ContinuousSummary.FromMoments(5, 3, 0), ContinuousSummary.FromMoments(5, 4, 0));
        Assert.Equal(0, apart.PValueTwoSided);
        Assert.Equal(new Interval(1, 1), apart.ConfidenceInterval);
    }

    [Fact]
    public void Welch_needs_two_observations_per_group()
    {
        var error = Assert.Throws<ArgumentException>(() => WelchTest.Compare(ContinuousSummary.FromValues([1.0]), ContinuousSummary.FromValues([1.0, 2.0])));
        Assert.Contains("at least 2 observations", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => WelchTest.Compare(ContinuousSummary.FromValues(SleepGroup1), ContinuousSummary.FromValues(SleepGroup2), confidenceLevel: 1));
    }

    [Fact]
    public void Two_proportion_test_matches_prop_test_without_continuity_correction()
    {
        // R: prop.test(c(15, 25), c(50, 50), correct = FALSE): X-squared = 4.1667 (= 25/6), p-value = 0.04123.
        var result = ProportionTest.Compare(new BinarySummary(50, 15), new BinarySummary(50, 25));

        Assert.Equal(25.0 / 6, result.Statistic * result.Statistic, 10);
        Assert.Equal(0.04123, result.PValueTwoSided, 5);
        Assert.Equal(0.2, result.Difference, 12);

        // Unpooled (Wald) interval, as prop.test reports: 0.2 ± 1.959964 × √(0.3·0.7/50 + 0.5·0.5/50).
        var half = 1.959963984540054 * Math.Sqrt(0.21 / 50 + 0.25 / 50);
        Assert.Equal(0.2 - half, result.ConfidenceInterval.Lower, 10);
        Assert.Equal(0.2 + half, result.ConfidenceInterval.Upper, 10);
        Assert.Equal(0.012007, result.ConfidenceInterval.Lower, 5);
        Assert.Equal(2.0 / 3, result.RelativeDifference, 12);
    }

    [Fact]
    public void Two_proportion_test_with_identical_degenerate_groups_finds_nothing()
    {
        var result = ProportionTest.Compare(new BinarySummary(40, 0), new BinarySummary(60, 0));
        Assert.Equal(1, result.PValueTwoSided);
        Assert.Throws<ArgumentException>(() => ProportionTest.Compare(new BinarySummary(0, 0), new BinarySummary(10, 1)));
    }

    [Fact]
    public void Chi_square_independence_matches_prop_test_on_the_smokers_data()
    {
        // R: prop.test(smokers <- c(83, 90, 129, 70), patients <- c(86, 93, 136, 82)): X-squared = 12.6, df = 3, p = 0.005585.
        var result = ChiSquareTests.Independence([new(86, 83), new(93, 90), new(136, 129), new(82, 70)]);

        Assert.Equal(12.6, result.Statistic, 1);
        Assert.Equal(3, result.DegreesOfFreedom);
        Assert.Equal(0.005585, result.PValue, 6);
    }

    [Fact]
    public void Chi_square_for_two_groups_is_the_square_of_the_pooled_z()
    {
        var control = new BinarySummary(1200, 130);
        var treatment = new BinarySummary(1100, 160);
        var z = ProportionTest.Compare(control, treatment);
        var chi = ChiSquareTests.Independence([control, treatment]);

        Assert.Equal(z.Statistic * z.Statistic, chi.Statistic, 9);
        Assert.Equal(z.PValueTwoSided, chi.PValue, 12);
    }

    [Fact]
    public void Sample_ratio_check_flags_only_real_mismatches()
    {
        var exact = ChiSquareTests.SampleRatioMismatch([5000, 5000], [50, 50]);
        Assert.Equal(0, exact.Statistic);
        Assert.Equal(1, exact.PValue);
        Assert.False(exact.IsMismatch);

        // (100²/5100)·2 = 3.9216, p = 0.0477: unusual but not the 0.001 a mismatch needs.
        var noisy = ChiSquareTests.SampleRatioMismatch([5000, 5200], [1, 1]);
        Assert.Equal(3.92157, noisy.Statistic, 4);
        Assert.Equal(0.04767, noisy.PValue, 4);
        Assert.False(noisy.IsMismatch);

        var broken = ChiSquareTests.SampleRatioMismatch([5000, 5500], [1, 1]);
        Assert.True(broken.IsMismatch);

        var uneven = ChiSquareTests.SampleRatioMismatch([9000, 1000], [90, 10]);
        Assert.Equal(0, uneven.Statistic, 12);
        Assert.Equal([9000.0, 1000.0], uneven.Expected);
    }

    [Fact]
    public void Sample_ratio_check_treats_zero_weights_exactly()
    {
        Assert.False(ChiSquareTests.SampleRatioMismatch([500, 510, 0], [1, 1, 0]).IsMismatch);
        Assert.Equal(0, ChiSquareTests.SampleRatioMismatch([500, 510, 3], [1, 1, 0]).PValue);
    }

    [Fact]
    public void Sample_ratio_check_rejects_bad_input()
    {
        Assert.Throws<ArgumentException>(() => ChiSquareTests.SampleRatioMismatch([1, 2], [1, 1, 1]));
        Assert.Throws<ArgumentException>(() => ChiSquareTests.SampleRatioMismatch([1, -2], [1, 1]));
        Assert.Throws<ArgumentException>(() => ChiSquareTests.SampleRatioMismatch([1, 2], [1, -1]));
        Assert.Throws<ArgumentException>(() => ChiSquareTests.SampleRatioMismatch([1, 2], [0, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChiSquareTests.SampleRatioMismatch([1, 2], [1, 1], threshold: 0));
        Assert.Throws<ArgumentException>(() => ChiSquareTests.Independence([new(10, 1)]));
    }

    [Fact]
    public void Holm_and_Benjamini_Hochberg_match_p_adjust()
    {
        double[] p = [0.01, 0.04, 0.03, 0.005, 0.20];

        // R: p.adjust(p, "holm") and p.adjust(p, "BH").
        Assert.Equal([0.04, 0.09, 0.09, 0.025, 0.20], MultipleComparisons.Holm(p), new ToleranceComparer(1e-15));
        Assert.Equal([0.025, 0.05, 0.05, 0.025, 0.20], MultipleComparisons.BenjaminiHochberg(p), new ToleranceComparer(1e-15));
        Assert.Equal(p, MultipleComparisons.Adjust(p, CorrectionMethod.None));
    }

    [Fact]
    public void Adjusted_p_values_are_capped_at_one_and_keep_ties()
    {
        double[] p = [0.5, 0.5, 0.9];

        Assert.Equal([1.0, 1.0, 1.0], MultipleComparisons.Holm(p));
        Assert.Equal([0.75, 0.75, 0.9], MultipleComparisons.BenjaminiHochberg(p), new ToleranceComparer(1e-15));
        Assert.Empty(MultipleComparisons.Holm([]));
    }

    [Fact]
    public void Invalid_p_values_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MultipleComparisons.Holm([0.1, 1.2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => MultipleComparisons.BenjaminiHochberg([double.NaN]));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
