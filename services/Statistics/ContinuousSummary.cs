namespace DomainPlatform.Statistics;

/// <summary>
/// Sufficient statistics of a continuous metric: count, mean and the sum of squared deviations from the mean.
/// </summary>
/// <remarks>
/// Stored as (count, mean, M2) rather than raw sums so that adding and merging stay accurate (Welford, Chan et al.)
/// even when the mean is large against the spread; <see cref="FromSums"/> accepts the (count, sum, sum of squares)
/// a database keeps, and <see cref="Sum"/> / <see cref="SumOfSquares"/> give them back.
/// </remarks>
public readonly record struct ContinuousSummary
{
    private ContinuousSummary(long count, double mean, double sumOfSquaredDeviations)
    {
        Count = count;
        Mean = mean;
        SumOfSquaredDeviations = sumOfSquaredDeviations;
    }

    public static ContinuousSummary Empty => default;

    public long Count { get; }

    public double Mean { get; }

    /// <summary>Σ (x − mean)², often called M2.</summary>
    public double SumOfSquaredDeviations { get; }

    public double Sum => Mean * Count;

    public double SumOfSquares => SumOfSquaredDeviations + Count * Mean * Mean;

    /// <summary>Sample variance (n − 1 denominator); 0 with fewer than two observations.</summary>
    public double Variance => Count > 1 ? SumOfSquaredDeviations / (Count - 1) : 0;

    public double StandardDeviation => Math.Sqrt(Variance);

    /// <summary>Standard error of the mean; 0 with fewer than two observations.</summary>
    public double StandardError => Count > 1 ? Math.Sqrt(Variance / Count) : 0;

    /// <summary>From the sums a store keeps. Round-off that makes Σx² − (Σx)²/n slightly negative is clamped to 0.</summary>
    public static ContinuousSummary FromSums(long count, double sum, double sumOfSquares)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        RequireFinite(sum, nameof(sum));
        RequireFinite(sumOfSquares, nameof(sumOfSquares));
        if (count == 0)
        {
            if (sum != 0 || sumOfSquares != 0)
            {
                throw new ArgumentException("An empty summary must have zero sums.", nameof(count));
            }

            return Empty;
        }

        if (sumOfSquares < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sumOfSquares), sumOfSquares, "A sum of squares cannot be negative.");
        }

        var mean = sum / count;
        var deviations = sumOfSquares - sum * mean;

        // Cancellation can leave a tiny negative residue; anything larger means the sums are inconsistent.
        var tolerance = 1e-9 * Math.Max(sumOfSquares, 1e-300);
        if (deviations < -tolerance)
        {
            throw new ArgumentException($"Sum of squares {sumOfSquares} is smaller than sum²/n = {sum * mean}; the sums are inconsistent.", nameof(sumOfSquares));
        }

        return new ContinuousSummary(count, mean, Math.Max(deviations, 0));
    }

    /// <summary>From a count, mean and sample variance (n − 1 denominator).</summary>
    public static ContinuousSummary FromMoments(long count, double mean, double variance)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        RequireFinite(mean, nameof(mean));
        RequireFinite(variance, nameof(variance));
        ArgumentOutOfRangeException.ThrowIfNegative(variance);
        if (count == 0)
        {
            return Empty;
        }

        return new ContinuousSummary(count, mean, count > 1 ? variance * (count - 1) : 0);
    }

    public static ContinuousSummary FromValues(ReadOnlySpan<double> values)
    {
        var summary = Empty;
        foreach (var value in values)
        {
            summary = summary.Add(value);
        }

        return summary;
    }

    public static ContinuousSummary FromValues(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var summary = Empty;
        foreach (var value in values)
        {
            summary = summary.Add(value);
        }

        return summary;
    }

    /// <summary>This summary with one more observation (Welford's update).</summary>
    public ContinuousSummary Add(double value)
    {
        RequireFinite(value, nameof(value));
        var count = Count + 1;
        var delta = value - Mean;
        var mean = Mean + delta / count;
        return new ContinuousSummary(count, mean, SumOfSquaredDeviations + delta * (value - mean));
    }

    /// <summary>The summary of both samples together (Chan, Golub and LeVeque's pairwise update).</summary>
    public ContinuousSummary Merge(ContinuousSummary other)
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
        var delta = other.Mean - Mean;
        var mean = Mean + delta * ((double)other.Count / count);
        var deviations = SumOfSquaredDeviations + other.SumOfSquaredDeviations
                         + delta * delta * ((double)Count * other.Count / count);
        return new ContinuousSummary(count, mean, deviations);
    }

    public static ContinuousSummary operator +(ContinuousSummary left, ContinuousSummary right) => left.Merge(right);

    public override string ToString() => $"n={Count}, mean={Mean:G6}, sd={StandardDeviation:G6}";

    internal static void RequireFinite(double value, string name)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "The value must be a finite number.");
        }
    }
}
