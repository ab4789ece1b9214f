namespace DomainPlatform.Statistics;

/// <summary>Sufficient statistics of a rate: trials and successes (conversions, correct answers, errors).</summary>
public readonly record struct BinarySummary
{
    public BinarySummary(long trials, long successes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trials);
        ArgumentOutOfRangeException.ThrowIfNegative(successes);
        if (successes > trials)
        {
            throw new ArgumentOutOfRangeException(nameof(successes), successes, $"Successes ({successes}) cannot exceed trials ({trials}).");
        }

        Trials = trials;
        Successes = successes;
    }

    public static BinarySummary Empty => default;

    public long Trials { get; }

    public long Successes { get; }

    public long Failures => Trials - Successes;

    /// <summary>Observed rate; 0 with no trials.</summary>
    public double Rate => Trials > 0 ? (double)Successes / Trials : 0;

    /// <summary>Bernoulli variance p(1 − p) of one trial at the observed rate.</summary>
    public double BernoulliVariance => Rate * (1 - Rate);

    /// <summary>Standard error of the rate, √(p(1 − p)/n); 0 with no trials.</summary>
    public double StandardError => Trials > 0 ? Math.Sqrt(BernoulliVariance / Trials) : 0;

    public BinarySummary Add(bool success) => new(Trials + 1, Successes + (success ? 1 : 0));

    public BinarySummary Merge(BinarySummary other) => new(Trials + other.Trials, Successes + other.Successes);

    public static BinarySummary operator +(BinarySummary left, BinarySummary right) => left.Merge(right);

    /// <summary>The same data as a continuous metric of 0/1 values (sample variance with the n − 1 denominator).</summary>
    public ContinuousSummary ToContinuous() => ContinuousSummary.FromSums(Trials, Successes, Successes);

    public override string ToString() => $"{Successes}/{Trials} ({Rate:P2})";
}
