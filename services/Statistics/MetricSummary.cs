namespace DomainPlatform.Statistics;

public enum MetricKind
{
    /// <summary>A rate from trials and successes.</summary>
    Rate,

    /// <summary>A mean of a continuous value.</summary>
    Mean,
}

/// <summary>Which way a metric improves.</summary>
public enum MetricDirection
{
    HigherIsBetter,
    LowerIsBetter,
}

/// <summary>One metric of one variant: either a rate (binary) or a mean (continuous).</summary>
public sealed record MetricSummary
{
    private MetricSummary(MetricKind kind, BinarySummary binary, ContinuousSummary continuous)
    {
        Kind = kind;
        Binary = binary;
        Continuous = continuous;
    }

    public MetricKind Kind { get; }

    /// <summary>The trials and successes; meaningful when <see cref="Kind"/> is <see cref="MetricKind.Rate"/>.</summary>
    public BinarySummary Binary { get; }

    /// <summary>The continuous summary; meaningful when <see cref="Kind"/> is <see cref="MetricKind.Mean"/>.</summary>
    public ContinuousSummary Continuous { get; }

    public static MetricSummary Rate(BinarySummary summary) => new(MetricKind.Rate, summary, ContinuousSummary.Empty);

    public static MetricSummary Rate(long trials, long successes) => Rate(new BinarySummary(trials, successes));

    public static MetricSummary Mean(ContinuousSummary summary) => new(MetricKind.Mean, BinarySummary.Empty, summary);

    public long Count => Kind == MetricKind.Rate ? Binary.Trials : Continuous.Count;

    /// <summary>The rate or the mean.</summary>
    public double Estimate => Kind == MetricKind.Rate ? Binary.Rate : Continuous.Mean;

    /// <summary>Variance of one observation: p(1 − p) for a rate, the sample variance for a mean.</summary>
    public double ObservationVariance => Kind == MetricKind.Rate ? Binary.BernoulliVariance : Continuous.Variance;

    /// <summary>Variance of <see cref="Estimate"/>; 0 when it cannot be estimated yet.</summary>
    public double EstimateVariance => Count > 0 ? ObservationVariance / Count : 0;

    public override string ToString() => Kind == MetricKind.Rate ? Binary.ToString() : Continuous.ToString();
}
