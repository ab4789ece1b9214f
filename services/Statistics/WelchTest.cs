namespace DomainPlatform.Statistics;

/// <summary>Welch's unequal-variance t-test with Welch-Satterthwaite degrees of freedom, from sufficient statistics.</summary>
public static class WelchTest
{
    /// <param name="control">Control group (needs at least 2 observations).</param>
    /// <param name="treatment">Treatment group (needs at least 2 observations).</param>
    /// <param name="confidenceLevel">Level of the two-sided intervals.</param>
    /// <param name="nullDifference">Difference under the null hypothesis (R's <c>mu</c>).</param>
    public static ComparisonResult Compare(ContinuousSummary control, ContinuousSummary treatment,
        double confidenceLevel = 0.95, double nullDifference = 0)
    {
        ComparisonResult.RequireConfidence(confidenceLevel);
        ContinuousSummary.RequireFinite(nullDifference, nameof(nullDifference));
        if (control.Count < 2 || treatment.Count < 2)
        {
            throw new ArgumentException($"Welch's test needs at least 2 observations per group (control {control.Count}, treatment {treatment.Count}).");
        }

        var controlMeanVariance = control.Variance / control.Count;
        var treatmentMeanVariance = treatment.Variance / treatment.Count;
        var variance = controlMeanVariance + treatmentMeanVariance;
        var standardError = Math.Sqrt(variance);
        var difference = treatment.Mean - control.Mean;

        double statistic, degreesOfFreedom, pGreater, pLess, halfWidth;
        if (variance > 0)
        {
            degreesOfFreedom = variance * variance / (
                controlMeanVariance * controlMeanVariance / (control.Count - 1) +
                treatmentMeanVariance * treatmentMeanVariance / (treatment.Count - 1));
            statistic = (difference - nullDifference) / standardError;
            // One tail evaluation, taken on the small side so tiny p-values keep their digits.
            var smallTail = Distributions.StudentTCdf(-Math.Abs(statistic), degreesOfFreedom);
            pGreater = statistic > 0 ? smallTail : 1 - smallTail;
            pLess = statistic > 0 ? 1 - smallTail : smallTail;
            halfWidth = Distributions.StudentTQuantile(0.5 + confidenceLevel / 2, degreesOfFreedom) * standardError;
        }
        else
        {
            // Both groups constant: the difference is known exactly.
            degreesOfFreedom = control.Count + treatment.Count - 2;
            statistic = difference == nullDifference ? 0 : Math.CopySign(double.PositiveInfinity, difference - nullDifference);
            pGreater = statistic > 0 ? 0 : 1;
            pLess = statistic < 0 ? 0 : 1;
            halfWidth = 0;
        }

        var pTwoSided = Math.Min(1, 2 * Math.Min(pGreater, pLess));
        var z = Distributions.NormalQuantile(0.5 + confidenceLevel / 2);
        var (relative, relativeInterval) = ComparisonResult.RelativeDelta(control.Mean, controlMeanVariance, treatment.Mean, treatmentMeanVariance, z);
        return new ComparisonResult("Welch t-test", control.Mean, treatment.Mean, difference, standardError, statistic,
            degreesOfFreedom, pTwoSided, pGreater, pLess, confidenceLevel,
            new Interval(difference - halfWidth, difference + halfWidth), relative, relativeInterval);
    }
}
