using MathNet.Numerics.Distributions;

namespace DomainPlatform.Statistics.Tests;

public class CupedTests
{
    private static readonly (double X, double Y)[] Control = [(1, 2.1), (2, 3.9), (3, 6.2), (4, 8.1), (5, 9.8)];
    private static readonly (double X, double Y)[] Treatment = [(1.5, 3.6), (2.5, 5.4), (3.5, 7.9), (4.5, 9.6), (6, 12.9), (2, 4.4)];

    [Fact]
    public void Adjusted_summaries_equal_summaries_of_the_adjusted_values()
    {
        var result = Cuped.AdjustAll([CovariateSummary.FromValues(Control), CovariateSummary.FromValues(Treatment)]);

        var all = Control.Concat(Treatment).ToArray();
        var meanX = all.Average(p => p.X);
        var meanY = all.Average(p => p.Y);
        var theta = all.Sum(p => (p.X - meanX) * (p.Y - meanY)) / all.Sum(p => (p.X - meanX) * (p.X - meanX));
        Assert.Equal(theta, result.Theta, 12);
        Assert.Equal(meanX, result.CovariateMean, 12);

        var expectedTreatment = ContinuousSummary.FromValues(Treatment.Select(p => p.Y - theta * (p.X - meanX)));
        Assert.Equal(expectedTreatment.Mean, result.Adjusted[1].Mean, 12);
        Assert.Equal(expectedTreatment.Variance, result.Adjusted[1].Variance, 10);
        Assert.True(result.VarianceReduction > 0.9);
    }

    [Fact]
    public void Sums_values_and_merges_describe_the_same_joint_summary()
    {
        var fromValues = CovariateSummary.FromValues(Control);
        var fromSums = CovariateSummary.FromSums(Control.Length,
            Control.Sum(p => p.X), Control.Sum(p => p.Y), Control.Sum(p => p.X * p.X), Control.Sum(p => p.Y * p.Y), Control.Sum(p => p.X * p.Y));
        var merged = CovariateSummary.FromValues(Control[..2]).Merge(CovariateSummary.FromValues(Control[2..]));

        foreach (var other in new[] { fromSums, merged })
        {
            Assert.Equal(fromValues.MeanX, other.MeanX, 12);
            Assert.Equal(fromValues.CovarianceXY, other.CovarianceXY, 10);
            Assert.Equal(fromValues.VarianceX, other.VarianceX, 10);
            Assert.Equal(fromValues.VarianceY, other.VarianceY, 10);
        }

        Assert.Equal(ContinuousSummary.FromValues(Control.Select(p => p.Y)).Variance, fromValues.Metric.Variance, 10);
    }

    [Fact]
    public void Variance_shrinks_by_rho_squared_and_the_effect_estimate_stays_unbiased()
    {
        // Y = X + ε with corr(X, Y) = 0.8; treatment adds 0.1 to Y.
        var random = new Random(7);
        var normal = new Normal(0, 1, random);
        var rho = 0.8;
        var noise = Math.Sqrt(1 / (rho * rho) - 1);
        var control = default(CovariateSummary);
        var treatment = default(CovariateSummary);
        for (var i = 0; i < 20_000; i++)
        {
            var x = normal.Sample();
            control = control.Add(x, x + noise * normal.Sample());
            var xt = normal.Sample();
            treatment = treatment.Add(xt, xt + noise * normal.Sample() + 0.1);
        }

        var result = Cuped.AdjustAll([control, treatment]);
        var raw = WelchTest.Compare(control.Metric, treatment.Metric);
        var adjusted = WelchTest.Compare(result.Adjusted[0], result.Adjusted[1]);

        Assert.Equal(rho * rho, result.VarianceReduction, 0.02);
        Assert.Equal(1 - rho * rho, Math.Pow(adjusted.StandardError / raw.StandardError, 2), 0.02);
        Assert.Equal(0.1, adjusted.Difference, 0.03);
        Assert.Equal(1, result.Theta, 0.03);
    }

    [Fact]
    public void A_constant_covariate_leaves_the_metric_unchanged()
    {
        var group = CovariateSummary.FromValues([(1.0, 2.0), (1.0, 3.0), (1.0, 7.0)]);
        var result = Cuped.AdjustAll([group]);
        Assert.Equal(0, result.Theta);
        Assert.Equal(group.Metric.Variance, result.Adjusted[0].Variance, 12);
    }

    [Fact]
    public void Bad_inputs_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Cuped.AdjustAll([]));
        Assert.Throws<ArgumentException>(() => Cuped.AdjustAll([CovariateSummary.FromValues([(1.0, 2.0)])]));
        Assert.Throws<ArgumentOutOfRangeException>(() => default(CovariateSummary).Add(double.NaN, 1));
    }
}
