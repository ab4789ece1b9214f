namespace DomainPlatform.Statistics.Tests;

public class SummaryTests
{
    private static readonly double[] Values = [2.5, 3.1, 4.7, 1.2, 9.9, 0.0, -3.4, 5.5];

    [Fact]
    public void Mean_and_variance_match_the_textbook_definitions()
    {
        var summary = ContinuousSummary.FromValues(Values);
        var mean = Values.Average();
        var variance = Values.Sum(v => (v - mean) * (v - mean)) / (Values.Length - 1);

        Assert.Equal(Values.Length, summary.Count);
        Assert.Equal(mean, summary.Mean, 12);
        Assert.Equal(variance, summary.Variance, 12);
        Assert.Equal(Math.Sqrt(variance / Values.Length), summary.StandardError, 12);
        Assert.Equal(Values.Sum(), summary.Sum, 12);
        Assert.Equal(Values.Sum(v => v * v), summary.SumOfSquares, 10);
    }

    [Fact]
    public void Sums_moments_and_values_describe_the_same_summary()
    {
        var fromValues = ContinuousSummary.FromValues(Values);
        var fromSums = ContinuousSummary.FromSums(Values.Length, Values.Sum(), Values.Sum(v => v * v));
        var fromMoments = ContinuousSummary.FromMoments(fromValues.Count, fromValues.Mean, fromValues.Variance);

        Assert.Equal(fromValues.Mean, fromSums.Mean, 12);
        Assert.Equal(fromValues.Variance, fromSums.Variance, 10);
        Assert.Equal(fromValues.Variance, fromMoments.Variance, 12);
    }

    [Fact]
    public void Merging_parts_equals_summarising_everything()
    {
        var left = ContinuousSummary.FromValues(Values.AsSpan(0, 3));
        var right = ContinuousSummary.FromValues(Values.AsSpan(3));
        var merged = left + right;
        var whole = ContinuousSummary.FromValues(Values);

        Assert.Equal(whole.Count, merged.Count);
        Assert.Equal(whole.Mean, merged.Mean, 12);
        Assert.Equal(whole.Variance, merged.Variance, 12);
        Assert.Equal(whole, whole + ContinuousSummary.Empty);
        Assert.Equal(whole, ContinuousSummary.Empty + whole);
    }

    [Fact]
    public void Variance_stays_accurate_when_the_mean_dwarfs_the_spread()
    {
        // Naive Σx² − (Σx)²/n loses every digit here; Welford and Chan keep them.
        var values = Enumerable.Range(0, 1000).Select(i => 1e9 + (i % 10)).ToArray();
        var expected = values.Select(v => v - 1e9).ToArray();
        var expectedVariance = ContinuousSummary.FromValues(expected).Variance;

        var summary = ContinuousSummary.FromValues(values);
        var merged = ContinuousSummary.FromValues(values.AsSpan(0, 400)) + ContinuousSummary.FromValues(values.AsSpan(400));

        Assert.Equal(expectedVariance, summary.Variance, 6);
        Assert.Equal(expectedVariance, merged.Variance, 6);
    }

    [Fact]
    public void Tiny_negative_round_off_in_stored_sums_is_clamped_but_inconsistent_sums_are_rejected()
    {
        // A stored Σx² a few ulps below (Σx)²/n, as accumulated rounding leaves it.
        var constant = ContinuousSummary.FromSums(3, 0.3, 0.03 - 1e-17);
        Assert.Equal(0, constant.Variance);

        var error = Assert.Throws<ArgumentException>(() => ContinuousSummary.FromSums(2, 10, 1));
        Assert.Contains("inconsistent", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ContinuousSummary.FromSums(-1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ContinuousSummary.FromSums(2, double.NaN, 1));
        Assert.Throws<ArgumentException>(() => ContinuousSummary.FromSums(0, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ContinuousSummary.Empty.Add(double.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => ContinuousSummary.FromMoments(5, 1, -1));
    }

    [Fact]
    public void Fewer_than_two_observations_have_zero_variance()
    {
        Assert.Equal(0, ContinuousSummary.Empty.Variance);
        Assert.Equal(0, ContinuousSummary.Empty.Add(5).Variance);
        Assert.Equal(0, ContinuousSummary.Empty.Add(5).StandardError);
    }

    [Fact]
    public void Binary_summary_counts_rates_and_converts_to_a_continuous_summary()
    {
        var summary = new BinarySummary(10, 3).Add(true).Add(false);

        Assert.Equal(12, summary.Trials);
        Assert.Equal(4, summary.Successes);
        Assert.Equal(8, summary.Failures);
        Assert.Equal(1.0 / 3, summary.Rate, 12);
        Assert.Equal(2.0 / 9, summary.BernoulliVariance, 12);
        Assert.Equal(new BinarySummary(20, 7), new BinarySummary(10, 3) + new BinarySummary(10, 4));

        var continuous = summary.ToContinuous();
        var zerosAndOnes = ContinuousSummary.FromValues(Enumerable.Repeat(1.0, 4).Concat(Enumerable.Repeat(0.0, 8)));
        Assert.Equal(zerosAndOnes.Mean, continuous.Mean, 12);
        Assert.Equal(zerosAndOnes.Variance, continuous.Variance, 12);
    }

    [Fact]
    public void Impossible_binary_counts_are_rejected()
    {
        Assert.Contains("cannot exceed", Assert.Throws<ArgumentOutOfRangeException>(() => new BinarySummary(3, 4)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BinarySummary(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BinarySummary(1, -1));
        Assert.Equal(0, BinarySummary.Empty.Rate);
    }

    [Fact]
    public void Metric_summary_exposes_estimate_and_variance_for_either_kind()
    {
        var rate = MetricSummary.Rate(200, 50);
        Assert.Equal(MetricKind.Rate, rate.Kind);
        Assert.Equal(0.25, rate.Estimate);
        Assert.Equal(0.1875 / 200, rate.EstimateVariance, 15);

        var mean = MetricSummary.Mean(ContinuousSummary.FromMoments(100, 3, 4));
        Assert.Equal(MetricKind.Mean, mean.Kind);
        Assert.Equal(100, mean.Count);
        Assert.Equal(0.04, mean.EstimateVariance, 15);
    }
}
