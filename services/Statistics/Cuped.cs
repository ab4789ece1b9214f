namespace DomainPlatform.Statistics;

/// <summary>
/// Joint sufficient statistics of a pre-period covariate X and a metric Y for one group, stored as means and
/// co-moments so adding and merging stay accurate.
/// </summary>
public readonly record struct CovariateSummary
{
    private CovariateSummary(long count, double meanX, double meanY, double comomentXX, double comomentYY, double comomentXY)
    {
        Count = count;
        MeanX = meanX;
        MeanY = meanY;
        ComomentXX = comomentXX;
        ComomentYY = comomentYY;
        ComomentXY = comomentXY;
    }

    public long Count { get; }

    public double MeanX { get; }

    public double MeanY { get; }

    /// <summary>Σ (x − x̄)².</summary>
    public double ComomentXX { get; }

    /// <summary>Σ (y − ȳ)².</summary>
    public double ComomentYY { get; }

    /// <summary>Σ (x − x̄)(y − ȳ).</summary>
    public double ComomentXY { get; }

    public double CovarianceXY => Count > 1 ? ComomentXY / (Count - 1) : 0;

    public double VarianceX => Count > 1 ? ComomentXX / (Count - 1) : 0;

    public double VarianceY => Count > 1 ? ComomentYY / (Count - 1) : 0;

    /// <summary>The metric alone, without the covariate.</summary>
    public ContinuousSummary Metric => ContinuousSummary.FromMoments(Count, MeanY, VarianceY);

    /// <summary>From the sums a store keeps: n, Σx, Σy, Σx², Σy², Σxy.</summary>
    public static CovariateSummary FromSums(long count, double sumX, double sumY, double sumXX, double sumYY, double sumXY)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        foreach (var (value, name) in new[] { (sumX, nameof(sumX)), (sumY, nameof(sumY)), (sumXX, nameof(sumXX)), (sumYY, nameof(sumYY)), (sumXY, nameof(sumXY)) })
        {
            ContinuousSummary.RequireFinite(value, name);
        }

        if (count == 0)
        {
            return default;
        }

        var meanX = sumX / count;
        var meanY = sumY / count;
        return new CovariateSummary(count, meanX, meanY,
            Math.Max(sumXX - sumX * meanX, 0), Math.Max(sumYY - sumY * meanY, 0), sumXY - sumX * meanY);
    }

    public static CovariateSummary FromValues(IEnumerable<(double Covariate, double Metric)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var summary = default(CovariateSummary);
        foreach (var (x, y) in pairs)
        {
            summary = summary.Add(x, y);
        }

        return summary;
    }

    public CovariateSummary Add(double covariate, double metric)
    {
        ContinuousSummary.RequireFinite(covariate, nameof(covariate));
        ContinuousSummary.RequireFinite(metric, nameof(metric));
        var count = Count + 1;
        var dx = covariate - MeanX;
        var dy = metric - MeanY;
        var meanX = MeanX + dx / count;
        var meanY = MeanY + dy / count;
        return new CovariateSummary(count, meanX, meanY,
            ComomentXX + dx * (covariate - meanX),
            ComomentYY + dy * (metric - meanY),
            ComomentXY + dx * (metric - meanY));
    }

    public CovariateSummary Merge(CovariateSummary other)
    {
        if (other.Count == 0)
        {
            return this;
        }

        if (Count == 0)
        {
            return other;
        }

        var count = Count + other.Count;
        var dx = other.MeanX - MeanX;
        var dy = other.MeanY - MeanY;
        var factor = (double)Count * other.Count / count;
        return new CovariateSummary(count,
            MeanX + dx * other.Count / count,
            MeanY + dy * other.Count / count,
            ComomentXX + other.ComomentXX + dx * dx * factor,
            ComomentYY + other.ComomentYY + dy * dy * factor,
            ComomentXY + other.ComomentXY + dx * dy * factor);
    }
}

/// <summary>The CUPED adjustment applied to every group of an experiment.</summary>
public sealed record CupedResult(
    double Theta,
    double CovariateMean,
    IReadOnlyList<ContinuousSummary> Adjusted,
    double VarianceReduction);

/// <summary>
/// CUPED (Deng, Xu, Kohavi and Walker 2013): Y' = Y − θ(X − E[X]) with θ = cov(X, Y)/var(X) from the pooled data of
/// all groups, so every group uses the same θ and E[X]; differences of means stay unbiased and their variance
/// shrinks by the factor 1 − ρ².
/// </summary>
public static class Cuped
{
    /// <summary>θ = cov(X, Y)/var(X) from the pooled groups; 0 when the covariate does not vary.</summary>
    public static double Theta(IEnumerable<CovariateSummary> groups)
    {
        var pooled = Pool(groups);
        return pooled.ComomentXX > 0 ? pooled.ComomentXY / pooled.ComomentXX : 0;
    }

    /// <summary>The adjusted metric's sufficient statistics: mean ȳ − θ(x̄ − μₓ), deviations Σ((y−ȳ) − θ(x−x̄))².</summary>
    public static ContinuousSummary Adjust(CovariateSummary group, double theta, double covariateMean)
    {
        ContinuousSummary.RequireFinite(theta, nameof(theta));
        ContinuousSummary.RequireFinite(covariateMean, nameof(covariateMean));
        if (group.Count == 0)
        {
            return ContinuousSummary.Empty;
        }

        var mean = group.MeanY - theta * (group.MeanX - covariateMean);
        var deviations = Math.Max(group.ComomentYY - 2 * theta * group.ComomentXY + theta * theta * group.ComomentXX, 0);
        return ContinuousSummary.FromMoments(group.Count, mean, group.Count > 1 ? deviations / (group.Count - 1) : 0);
    }

    public static CupedResult AdjustAll(IReadOnlyList<CovariateSummary> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count == 0)
        {
            throw new ArgumentException("CUPED needs at least one group.", nameof(groups));
        }

        var pooled = Pool(groups);
        var theta = pooled.ComomentXX > 0 ? pooled.ComomentXY / pooled.ComomentXX : 0;
        var adjusted = groups.Select(g => Adjust(g, theta, pooled.MeanX)).ToArray();
        var pooledAdjusted = Adjust(pooled, theta, pooled.MeanX);
        var reduction = pooled.ComomentYY > 0 ? 1 - pooledAdjusted.SumOfSquaredDeviations / pooled.ComomentYY : 0;
        return new CupedResult(theta, pooled.MeanX, adjusted, reduction);
    }

    private static CovariateSummary Pool(IEnumerable<CovariateSummary> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var pooled = default(CovariateSummary);
        foreach (var group in groups)
        {
            pooled = pooled.Merge(group);
        }

        if (pooled.Count < 2)
        {
            throw new ArgumentException("CUPED needs at least 2 observations in all.", nameof(groups));
        }

        return pooled;
    }
}
