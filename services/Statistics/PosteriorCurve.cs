namespace DomainPlatform.Statistics;

/// <summary>
/// A variant's posterior of its primary metric drawn as a curve: the family and its parameters, mean, sd, credible
/// interval, and the density at evenly spaced points over mean ± 5 sd (within the support), so a page can draw what
/// the Bayesian comparison integrates without computing a density of its own. Rates: Beta(1 + successes, 1 + failures)
/// (uniform prior); means: N(x̄, s²/n), the flat-prior large-sample posterior.
/// </summary>
public sealed record PosteriorCurve(
    string Family,
    double? Alpha,
    double? Beta,
    double Mean,
    double StandardDeviation,
    Interval CredibleInterval,
    IReadOnlyList<double> X,
    IReadOnlyList<double> Density)
{
    public const string BetaFamily = "beta";
    public const string NormalFamily = "normal";

    /// <summary>The curve of a summary; null for a mean without two observations with some spread (no posterior yet).</summary>
    public static PosteriorCurve? Of(MetricSummary summary, double level = 0.95, int points = 101)
    {
        ArgumentNullException.ThrowIfNull(summary);
        if (points < 2) throw new ArgumentOutOfRangeException(nameof(points), points, "A curve needs at least 2 points.");
        IPosterior posterior;
        if (summary.Kind == MetricKind.Rate)
        {
            posterior = BetaPosterior.FromData(summary.Binary);
        }
        else if (summary.Continuous.Count >= 2 && summary.Continuous.Variance > 0)
        {
            posterior = NormalPosterior.FromData(summary.Continuous);
        }
        else
        {
            return null;
        }
        var lower = Math.Max(posterior.SupportLower, posterior.Mean - 5 * posterior.StandardDeviation);
        var upper = Math.Min(posterior.SupportUpper, posterior.Mean + 5 * posterior.StandardDeviation);
        var x = Enumerable.Range(0, points).Select(i => lower + (upper - lower) * i / (points - 1)).ToArray();
        var density = x.Select(posterior.Density).ToArray();
        return posterior is BetaPosterior beta
            ? new PosteriorCurve(BetaFamily, beta.Alpha, beta.Beta, beta.Mean, beta.StandardDeviation, beta.CredibleInterval(level), x, density)
            : new PosteriorCurve(NormalFamily, null, null, posterior.Mean, posterior.StandardDeviation, posterior.CredibleInterval(level), x, density);
    }
}
