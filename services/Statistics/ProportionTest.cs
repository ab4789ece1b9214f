namespace DomainPlatform.Statistics;

/// <summary>
/// Two-proportion z-test: pooled standard error for the test of equal rates (as R's prop.test without continuity
/// correction; z² is its X-squared), unpooled (Wald) standard error for the confidence interval.
/// </summary>
public static class ProportionTest
{
    /// <param name="nullDifference">
    /// Difference treatment − control under the null. With a non-zero value the test uses the unpooled standard
    /// error, since the rates are not equal under that null.
    /// </param>
    public static ComparisonResult Compare(BinarySummary control, BinarySummary treatment,
        double confidenceLevel = 0.95, double nullDifference = 0)
    {
        ComparisonResult.RequireConfidence(confidenceLevel);
        ContinuousSummary.RequireFinite(nullDifference, nameof(nullDifference));
        if (control.Trials == 0 || treatment.Trials == 0)
        {
            throw new ArgumentException($"The two-proportion test needs trials in both groups (control {control.Trials}, treatment {treatment.Trials}).");
        }

        var difference = treatment.Rate - control.Rate;
        var controlVariance = control.BernoulliVariance / control.Trials;
        var treatmentVariance = treatment.BernoulliVariance / treatment.Trials;
        var unpooledError = Math.Sqrt(controlVariance + treatmentVariance);

        double testError;
        if (nullDifference == 0)
        {
            var pooled = (double)(control.Successes + treatment.Successes) / (control.Trials + treatment.Trials);
            testError = Math.Sqrt(pooled * (1 - pooled) * (1.0 / control.Trials + 1.0 / treatment.Trials));
        }
        else
        {
            testError = unpooledError;
        }

        var shifted = difference - nullDifference;
        var statistic = testError > 0 ? shifted / testError : shifted == 0 ? 0 : Math.CopySign(double.PositiveInfinity, shifted);
        var pGreater = Distributions.NormalSurvival(statistic);
        var pLess = Distributions.NormalCdf(statistic);
        var pTwoSided = Math.Min(1, 2 * Math.Min(pGreater, pLess));

        var z = Distributions.NormalQuantile(0.5 + confidenceLevel / 2);
        var half = z * unpooledError;
        var (relative, relativeInterval) = ComparisonResult.RelativeDelta(control.Rate, controlVariance, treatment.Rate, treatmentVariance, z);
        return new ComparisonResult("two-proportion z-test", control.Rate, treatment.Rate, difference, unpooledError, statistic,
            double.PositiveInfinity, pTwoSided, pGreater, pLess, confidenceLevel,
            new Interval(difference - half, difference + half), relative, relativeInterval);
    }
}
