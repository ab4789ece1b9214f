namespace DomainPlatform.Assignment;

/// <summary>A variant and its relative weight in a split.</summary>
public sealed record VariantWeight(string Variant, double Weight);

/// <summary>The buckets [<see cref="StartBucket"/>, <see cref="EndBucket"/>) a variant owns.</summary>
public sealed record VariantRange(string Variant, int StartBucket, int EndBucket)
{
    public int BucketCount => EndBucket - StartBucket;

    /// <summary>The share of traffic this variant receives, in [0, 1].</summary>
    public double Share => (double)BucketCount / AssignmentHasher.BucketCount;
}

/// <summary>
/// A/B/n split: each variant owns a contiguous range of buckets, in the order given, sized by its weight.
/// </summary>
/// <remarks>
/// Weights are relative: they must be finite and non-negative with a positive sum, and are normalised by that sum,
/// so 50/50, 0.5/0.5 and 1/1 mean the same split. Shares are rounded to whole buckets (0.01%) from the cumulative
/// sums, so the ranges always tile [0, 10000) exactly. A variant with weight 0 receives no traffic.
/// Changing weights of an A/B/n split may move users between any variants; for a stable/canary ramp where users
/// may only move towards the canary, use <see cref="CanarySplit"/>.
/// </remarks>
public sealed class TrafficSplit
{
    private readonly VariantRange[] _ranges;
    private readonly ulong _saltSeed;

    public TrafficSplit(string salt, IEnumerable<VariantWeight> weights)
    {
        ArgumentNullException.ThrowIfNull(salt);
        ArgumentNullException.ThrowIfNull(weights);
        Salt = salt;
        _saltSeed = AssignmentHasher.SeedFor(salt);
        _ranges = BuildRanges(weights.ToArray());
    }

    public string Salt { get; }

    public IReadOnlyList<VariantRange> Ranges => _ranges;

    /// <summary>The variant a key is assigned to.</summary>
    public string Assign(ReadOnlySpan<char> key) => _ranges[AssignIndex(key)].Variant;

    /// <summary>The index (in the order the weights were given) of the variant a key is assigned to.</summary>
    public int AssignIndex(ReadOnlySpan<char> key) => IndexOfBucket(AssignmentHasher.GetBucket(_saltSeed, key));

    /// <summary>The index of the variant that owns a bucket.</summary>
    public int IndexOfBucket(int bucket)
    {
        if ((uint)bucket >= AssignmentHasher.BucketCount)
        {
            throw new ArgumentOutOfRangeException(nameof(bucket), bucket, $"A bucket lies in [0, {AssignmentHasher.BucketCount}).");
        }

        for (var i = 0; i < _ranges.Length; i++)
        {
            if (bucket < _ranges[i].EndBucket)
            {
                return i;
            }
        }

        // Unreachable: the last range always ends at BucketCount.
        throw new InvalidOperationException("Bucket ranges do not cover every bucket.");
    }

    private static VariantRange[] BuildRanges(VariantWeight[] weights)
    {
        if (weights.Length == 0)
        {
            throw new ArgumentException("A split needs at least one variant.", nameof(weights));
        }

        var total = 0.0;
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var weight in weights)
        {
            if (weight is null)
            {
                throw new ArgumentException("A variant weight must not be null.", nameof(weights));
            }

            if (string.IsNullOrWhiteSpace(weight.Variant))
            {
                throw new ArgumentException("Every variant needs a non-empty name.", nameof(weights));
            }

            if (!names.Add(weight.Variant))
            {
                throw new ArgumentException($"Variant '{weight.Variant}' appears more than once.", nameof(weights));
            }

            if (!double.IsFinite(weight.Weight) || weight.Weight < 0)
            {
                throw new ArgumentException($"Weight of variant '{weight.Variant}' is {weight.Weight}; weights must be finite and non-negative.", nameof(weights));
            }

            total += weight.Weight;
        }

        if (total <= 0)
        {
            throw new ArgumentException("Weights sum to zero; at least one variant needs a positive weight.", nameof(weights));
        }

        var ranges = new VariantRange[weights.Length];
        var cumulative = 0.0;
        var start = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            cumulative += weights[i].Weight;
            var end = i == weights.Length - 1
                ? AssignmentHasher.BucketCount
                : (int)Math.Round(AssignmentHasher.BucketCount * (cumulative / total), MidpointRounding.AwayFromZero);
            end = Math.Clamp(end, start, AssignmentHasher.BucketCount);
            ranges[i] = new VariantRange(weights[i].Variant, start, end);
            start = end;
        }

        return ranges;
    }
}
