namespace DomainPlatform.Assignment;

/// <summary>
/// Stable/canary split whose ramp is monotone: the canary owns buckets [0, w), so raising the canary weight only
/// moves users from stable to canary and never back, and each user's bucket does not depend on the weight.
/// </summary>
public sealed class CanarySplit
{
    private readonly ulong _saltSeed;

    /// <param name="salt">The rollout's salt; keep it fixed for the whole ramp.</param>
    /// <param name="canaryPercent">Share of traffic for the canary, in percent within [0, 100], resolved to 0.01%.</param>
    public CanarySplit(string salt, double canaryPercent)
    {
        ArgumentNullException.ThrowIfNull(salt);
        Salt = salt;
        CanaryPercent = canaryPercent;
        CanaryBuckets = BucketsForPercent(canaryPercent);
        _saltSeed = AssignmentHasher.SeedFor(salt);
    }

    public string Salt { get; }

    public double CanaryPercent { get; }

    /// <summary>The canary owns buckets [0, <see cref="CanaryBuckets"/>).</summary>
    public int CanaryBuckets { get; }

    public bool IsCanary(ReadOnlySpan<char> key) => AssignmentHasher.GetBucket(_saltSeed, key) < CanaryBuckets;

    /// <summary>The same split with another canary weight: the next step of the ramp.</summary>
    public CanarySplit WithCanaryPercent(double canaryPercent) => new(Salt, canaryPercent);

    public static bool IsCanaryBucket(int bucket, double canaryPercent)
    {
        if ((uint)bucket >= AssignmentHasher.BucketCount)
        {
            throw new ArgumentOutOfRangeException(nameof(bucket), bucket, $"A bucket lies in [0, {AssignmentHasher.BucketCount}).");
        }

        return bucket < BucketsForPercent(canaryPercent);
    }

    /// <summary>Number of buckets a canary percentage owns, rounded to the nearest bucket.</summary>
    public static int BucketsForPercent(double canaryPercent)
    {
        if (!double.IsFinite(canaryPercent) || canaryPercent < 0 || canaryPercent > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(canaryPercent), canaryPercent, "The canary percentage must lie within [0, 100].");
        }

        return (int)Math.Round(canaryPercent * (AssignmentHasher.BucketCount / 100.0), MidpointRounding.AwayFromZero);
    }
}
