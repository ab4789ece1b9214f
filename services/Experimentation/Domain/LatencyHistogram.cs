namespace DomainPlatform.Experimentation.Domain;

/// <summary>
/// A mergeable latency histogram with logarithmic bins (the DDSketch layout): bin i holds the latencies in
/// (γ^(i-1), γ^i] ms, γ = (1 + α) / (1 - α), and stands for 2γ^i / (γ + 1), which is within α = 1% of every latency in
/// the bin. Counts of the same bin add, so 10-second buckets merge into any window as if the samples had been binned
/// together, and a percentile read from the merged bins is within α of the exact one (<see cref="Percentile"/>).
/// </summary>
public static class LatencyHistogram
{
    /// <summary>The stated relative error of a percentile against the exact percentile of the same samples.</summary>
    public const double RelativeError = 0.01;

    public static readonly double Gamma = (1 + RelativeError) / (1 - RelativeError);

    /// <summary>Latencies below this (1 µs) are kept in <see cref="ZeroBin"/> and read as 0.</summary>
    public const double SmallestMs = 0.001;

    public const int ZeroBin = -100_000;

    private static readonly double LogGamma = Math.Log(Gamma);

    /// <summary>The bin of a latency (finite, at least 0).</summary>
    public static int BinOf(double ms)
    {
        if (!double.IsFinite(ms) || ms < 0) throw new ArgumentOutOfRangeException(nameof(ms), ms, "A latency is finite and at least 0.");
        return ms < SmallestMs ? ZeroBin : (int)Math.Ceiling(Math.Log(ms) / LogGamma);
    }

    /// <summary>The value a bin stands for.</summary>
    public static double ValueOf(int bin) => bin == ZeroBin ? 0 : 2 * Math.Pow(Gamma, bin) / (Gamma + 1);

    /// <summary>
    /// The nearest-rank percentile: the value of the bin holding the sample of rank ⌈p·n/100⌉ (1-based, ascending), so
    /// within <see cref="RelativeError"/> of <see cref="ExactPercentile"/> of the same samples. Null without samples.
    /// </summary>
    public static double? Percentile(IEnumerable<KeyValuePair<int, long>> bins, double percent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(percent, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        var sorted = bins.Where(b => b.Value > 0).OrderBy(b => b.Key).ToArray();
        var n = sorted.Sum(b => b.Value);
        if (n == 0) return null;
        var rank = Rank(percent, n);
        long seen = 0;
        foreach (var (bin, count) in sorted)
        {
            seen += count;
            if (seen >= rank) return ValueOf(bin);
        }
        return ValueOf(sorted[^1].Key);
    }

    /// <summary>The nearest-rank percentile of exact samples: the sample of rank ⌈p·n/100⌉ in ascending order.</summary>
    public static double ExactPercentile(IEnumerable<double> samples, double percent)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("No samples.", nameof(samples));
        return sorted[Rank(percent, sorted.Length) - 1];
    }

    private static long Rank(double percent, long n) => Math.Clamp((long)Math.Ceiling(percent * n / 100), 1, n);

    /// <summary>Adds bins into a running total (merging buckets or groups).</summary>
    public static void Merge(IDictionary<int, long> into, int bin, long count) =>
        into[bin] = into.TryGetValue(bin, out var had) ? had + count : count;
}
