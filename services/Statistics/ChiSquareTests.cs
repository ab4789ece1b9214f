namespace DomainPlatform.Statistics;

public sealed record ChiSquareResult(double Statistic, double DegreesOfFreedom, double PValue, IReadOnlyList<double> Expected);

public sealed record SampleRatioResult(
    double Statistic,
    double DegreesOfFreedom,
    double PValue,
    double Threshold,
    IReadOnlyList<long> Observed,
    IReadOnlyList<double> Expected)
{
    /// <summary>True when the assignment counts are too unlikely under the planned weights.</summary>
    public bool IsMismatch => PValue < Threshold;
}

public static class ChiSquareTests
{
    /// <summary>
    /// Pearson's chi-square test of independence for k variants × (success, failure), without continuity correction
    /// (as R's prop.test for k groups). Expected counts are listed row by row: success, failure for each variant.
    /// </summary>
    public static ChiSquareResult Independence(IReadOnlyList<BinarySummary> variants)
    {
        ArgumentNullException.ThrowIfNull(variants);
        if (variants.Count < 2)
        {
            throw new ArgumentException("The test of independence needs at least two variants.", nameof(variants));
        }

        if (variants.Any(v => v.Trials == 0))
        {
            throw new ArgumentException("Every variant needs at least one trial.", nameof(variants));
        }

        double total = variants.Sum(v => v.Trials);
        double successes = variants.Sum(v => v.Successes);
        var failures = total - successes;
        var expected = new double[variants.Count * 2];
        var statistic = 0.0;
        for (var i = 0; i < variants.Count; i++)
        {
            var expectedSuccesses = variants[i].Trials * successes / total;
            var expectedFailures = variants[i].Trials * failures / total;
            expected[2 * i] = expectedSuccesses;
            expected[2 * i + 1] = expectedFailures;
            statistic += Term(variants[i].Successes, expectedSuccesses) + Term(variants[i].Failures, expectedFailures);
        }

        var degreesOfFreedom = variants.Count - 1;

        // With every trial a success (or every one a failure) the rates are identical: no evidence against independence.
        var pValue = successes == 0 || failures == 0 ? 1 : Distributions.ChiSquareSurvival(statistic, degreesOfFreedom);
        return new ChiSquareResult(statistic, degreesOfFreedom, pValue, expected);
    }

    /// <summary>
    /// Sample-ratio-mismatch check: chi-square goodness of fit of assignment counts to the planned weights (weights
    /// are relative and normalised). Variants with weight 0 and no assignments drop out; assignments to a variant
    /// with weight 0 are a certain mismatch (p = 0). The usual threshold is 0.001.
    /// </summary>
    public static SampleRatioResult SampleRatioMismatch(IReadOnlyList<long> observed, IReadOnlyList<double> plannedWeights, double threshold = 0.001)
    {
        ArgumentNullException.ThrowIfNull(observed);
        ArgumentNullException.ThrowIfNull(plannedWeights);
        if (observed.Count != plannedWeights.Count)
        {
            throw new ArgumentException($"{observed.Count} counts were given for {plannedWeights.Count} weights.", nameof(plannedWeights));
        }

        if (observed.Count < 2)
        {
            throw new ArgumentException("A sample ratio check needs at least two variants.", nameof(observed));
        }

        if (!(threshold > 0 && threshold < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must lie strictly between 0 and 1.");
        }

        if (observed.Any(c => c < 0))
        {
            throw new ArgumentException("Assignment counts cannot be negative.", nameof(observed));
        }

        if (plannedWeights.Any(w => !double.IsFinite(w) || w < 0) || plannedWeights.Sum() <= 0)
        {
            throw new ArgumentException("Weights must be finite, non-negative and sum to a positive number.", nameof(plannedWeights));
        }

        double total = observed.Sum();
        var weightSum = plannedWeights.Sum();
        var expected = plannedWeights.Select(w => total * w / weightSum).ToArray();
        var statistic = 0.0;
        var categories = 0;
        var impossible = false;
        for (var i = 0; i < observed.Count; i++)
        {
            if (plannedWeights[i] == 0)
            {
                impossible |= observed[i] > 0;
                continue;
            }

            categories++;
            statistic += Term(observed[i], expected[i]);
        }

        var degreesOfFreedom = Math.Max(categories - 1, 1);
        double pValue;
        if (impossible)
        {
            statistic = double.PositiveInfinity;
            pValue = 0;
        }
        else
        {
            pValue = total == 0 || categories < 2 ? 1 : Distributions.ChiSquareSurvival(statistic, degreesOfFreedom);
        }

        return new SampleRatioResult(statistic, degreesOfFreedom, pValue, threshold, observed.ToArray(), expected);
    }

    private static double Term(double observed, double expected) =>
        expected > 0 ? (observed - expected) * (observed - expected) / expected : 0;
}
