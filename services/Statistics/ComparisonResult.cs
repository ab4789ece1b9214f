namespace DomainPlatform.Statistics;

/// <summary>Which alternative hypothesis a p-value is for; "greater" means treatment above control.</summary>
public enum Alternative
{
    TwoSided,
    Greater,
    Less,
}

/// <summary>A two-sided interval [Lower, Upper].</summary>
public readonly record struct Interval(double Lower, double Upper)
{
    public bool Contains(double value) => value >= Lower && value <= Upper;

    public double Width => Upper - Lower;

    public override string ToString() => $"[{Lower:G6}, {Upper:G6}]";
}

/// <summary>
/// Treatment against control for one metric. Differences are treatment − control; the relative difference is
/// treatment / control − 1, with its interval from the delta method (first-order, normal quantile).
/// </summary>
public sealed record ComparisonResult(
    string Test,
    double ControlEstimate,
    double TreatmentEstimate,
    double Difference,
    double StandardError,
    double Statistic,
    double DegreesOfFreedom,
    double PValueTwoSided,
    double PValueGreater,
    double PValueLess,
    double ConfidenceLevel,
    Interval ConfidenceInterval,
    double RelativeDifference,
    Interval RelativeConfidenceInterval)
{
    public double PValue(Alternative alternative) => alternative switch
    {
        Alternative.TwoSided => PValueTwoSided,
        Alternative.Greater => PValueGreater,
        Alternative.Less => PValueLess,
        _ => throw new ArgumentOutOfRangeException(nameof(alternative), alternative, "Unknown alternative."),
    };

    /// <summary>
    /// Delta-method interval for treatment/control − 1 given each mean and the variance of each mean; NaN bounds
    /// when the control mean is 0 (the ratio is undefined).
    /// </summary>
    internal static (double Relative, Interval Interval) RelativeDelta(
        double controlMean, double controlMeanVariance, double treatmentMean, double treatmentMeanVariance, double z)
    {
        if (controlMean == 0)
        {
            return (double.NaN, new Interval(double.NaN, double.NaN));
        }

        var relative = treatmentMean / controlMean - 1;
        var c2 = controlMean * controlMean;
        var variance = treatmentMeanVariance / c2 + treatmentMean * treatmentMean * controlMeanVariance / (c2 * c2);
        var half = z * Math.Sqrt(variance);
        return (relative, new Interval(relative - half, relative + half));
    }

    internal static void RequireConfidence(double confidenceLevel)
    {
        if (!(confidenceLevel > 0 && confidenceLevel < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidenceLevel), confidenceLevel, "The confidence level must lie strictly between 0 and 1.");
        }
    }
}
