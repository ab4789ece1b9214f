namespace DomainPlatform.Statistics.Forecasting;

/// <summary>Which way a detector saw the stream move.</summary>
public enum ChangeDirection
{
    None,
    Up,
    Down,
}

/// <summary>
/// One sample as a detector saw it: the baseline and σ̂ it was compared with (both before the sample updated them),
/// its standardized residual z = (x − baseline)/σ̂, the detector's statistics after it, and the alarm it raised.
/// </summary>
public readonly record struct ChangeSignal(
    long Index,
    int Slot,
    double Baseline,
    double Scale,
    double StandardizedResidual,
    double UpperStatistic,
    double LowerStatistic,
    ChangeDirection Alarm)
{
    public bool IsAlarm => Alarm != ChangeDirection.None;
}

/// <summary>Settings shared by the detectors: the season, the baseline's forgetting, when alarms may start.</summary>
public sealed record DetectorSettings
{
    public SeasonalSlots Slots { get; init; } = SeasonalSlots.None;

    /// <summary>Weight of a new sample in its slot's baseline once warmed up (0, 1].</summary>
    public double BaselineSmoothing { get; init; } = 0.01;

    /// <summary>Residuals are winsorized at ± this many σ̂ before they update the baseline.</summary>
    public double WinsorLimit { get; init; } = 3;

    /// <summary>Samples a slot must have seen before its residuals count (and before it winsorizes).</summary>
    public int WarmUpPerSlot { get; init; } = 30;

    /// <summary>
    /// A standardized residual counts at most ± this much in a detector's statistic, so one outlier of a heavy-tailed
    /// stream cannot raise an alarm alone (positive infinity: no clipping).
    /// </summary>
    public double ResidualClip { get; init; } = 4;

    /// <summary>σ̂ never falls below this (in the stream's units); 0 lets a constant stream alarm at its first change.</summary>
    public double MinimumScale { get; init; }

    /// <summary>Sample index of the first sample within the season (e.g. the minute of the day it was taken).</summary>
    public long FirstSampleIndex { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(WarmUpPerSlot, 2, nameof(WarmUpPerSlot));
        ArgumentOutOfRangeException.ThrowIfNegative(MinimumScale, nameof(MinimumScale));
        ArgumentOutOfRangeException.ThrowIfNegative(FirstSampleIndex, nameof(FirstSampleIndex));
        if (!(ResidualClip > 0)) throw new ArgumentOutOfRangeException(nameof(ResidualClip), ResidualClip, "The residual clip must be positive.");
    }
}

/// <summary>The standardized residual of each sample against a robust, possibly seasonal, baseline.</summary>
internal sealed class StandardizedStream
{
    private readonly DetectorSettings settings;
    private readonly RobustBaseline baseline;
    private long samples;

    public StandardizedStream(DetectorSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        this.settings = settings;
        baseline = new RobustBaseline(settings.Slots, settings.BaselineSmoothing, settings.WinsorLimit, settings.MinimumScale, settings.WarmUpPerSlot);
    }

    public long Samples => samples;

    public double ResidualClip => settings.ResidualClip;

    /// <summary>
    /// (index, slot, baseline, σ̂, z, warmed up); z is 0 while the slot warms up. A detector holds the baseline while
    /// its statistic is half-way to an alarm, so a change is not learnt as normal before it is flagged.
    /// </summary>
    public (long Index, int Slot, double Baseline, double Scale, double Z, bool WarmedUp) Next(double value, bool holdBaseline)
    {
        ContinuousSummary.RequireFinite(value, nameof(value));
        var index = samples++;
        var slot = settings.Slots.SlotOf(settings.FirstSampleIndex + index);
        var warmedUp = baseline.Count(slot) >= settings.WarmUpPerSlot;
        var mean = baseline.Mean(slot);
        var scale = Math.Max(baseline.Scale(slot), settings.MinimumScale);
        if (!(warmedUp && holdBaseline)) baseline.Add(slot, value);
        if (!warmedUp) return (index, slot, mean, scale, 0, false);
        var residual = value - mean;
        var z = residual == 0 ? 0 : scale > 0 ? residual / scale : Math.CopySign(double.PositiveInfinity, residual);
        return (index, slot, mean, scale, z, true);
    }
}

/// <summary>
/// Two-sided tabular CUSUM (Page 1954) on standardized residuals against a robust seasonal baseline:
/// S⁺ = max(0, S⁺ + z − k), S⁻ = max(0, S⁻ − z − k) with z clipped to ±ResidualClip; an alarm when either exceeds h,
/// after which both restart at 0. k is the allowance (half the shift, in σ, it is tuned to find fastest), h the
/// decision interval. The baseline stops learning while S⁺ or S⁻ is above h/2.
/// </summary>
public sealed class CusumDetector
{
    private readonly StandardizedStream stream;
    private double upper;
    private double lower;

    public CusumDetector(DetectorSettings settings, double allowance = 0.5, double decisionInterval = 8)
    {
        if (!(allowance >= 0 && double.IsFinite(allowance))) throw new ArgumentOutOfRangeException(nameof(allowance), allowance, "The allowance k must be a finite number ≥ 0.");
        if (!(decisionInterval > 0 && double.IsFinite(decisionInterval))) throw new ArgumentOutOfRangeException(nameof(decisionInterval), decisionInterval, "The decision interval h must be positive.");
        stream = new StandardizedStream(settings);
        Allowance = allowance;
        DecisionInterval = decisionInterval;
    }

    public double Allowance { get; }

    public double DecisionInterval { get; }

    public long Samples => stream.Samples;

    public ChangeSignal Observe(double value)
    {
        var (index, slot, baseline, scale, z, warmedUp) = stream.Next(value, Math.Max(upper, lower) > DecisionInterval / 2);
        if (!warmedUp) return new ChangeSignal(index, slot, baseline, scale, 0, 0, 0, ChangeDirection.None);
        var counted = Math.Clamp(z, -stream.ResidualClip, stream.ResidualClip);
        upper = Math.Max(0, upper + counted - Allowance);
        lower = Math.Max(0, lower - counted - Allowance);
        var alarm = upper > DecisionInterval ? ChangeDirection.Up : lower > DecisionInterval ? ChangeDirection.Down : ChangeDirection.None;
        var signal = new ChangeSignal(index, slot, baseline, scale, z, upper, lower, alarm);
        if (alarm != ChangeDirection.None)
        {
            upper = 0;
            lower = 0;
        }

        return signal;
    }
}

/// <summary>
/// EWMA control chart (Roberts 1959) on standardized residuals against a robust seasonal baseline:
/// E = λ·z + (1 − λ)·E with z clipped to ±ResidualClip, an alarm when |E| exceeds L·√(λ/(2 − λ)) (L asymptotic
/// standard deviations of E), after which E restarts at 0. The baseline stops learning while |E| is above half that.
/// </summary>
public sealed class EwmaDetector
{
    private readonly StandardizedStream stream;
    private double smoothed;

    public EwmaDetector(DetectorSettings settings, double smoothing = 0.2, double limitInSigmas = 4)
    {
        if (!(smoothing > 0 && smoothing <= 1)) throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "The EWMA weight λ must be in (0, 1].");
        if (!(limitInSigmas > 0 && double.IsFinite(limitInSigmas))) throw new ArgumentOutOfRangeException(nameof(limitInSigmas), limitInSigmas, "The limit L must be positive.");
        stream = new StandardizedStream(settings);
        Smoothing = smoothing;
        LimitInSigmas = limitInSigmas;
        ControlLimit = limitInSigmas * Math.Sqrt(smoothing / (2 - smoothing));
    }

    public double Smoothing { get; }

    public double LimitInSigmas { get; }

    /// <summary>L·√(λ/(2 − λ)): the bound |E| must pass.</summary>
    public double ControlLimit { get; }

    public long Samples => stream.Samples;

    /// <summary>The signal's UpperStatistic and LowerStatistic are max(E, 0) and max(−E, 0).</summary>
    public ChangeSignal Observe(double value)
    {
        var (index, slot, baseline, scale, z, warmedUp) = stream.Next(value, Math.Abs(smoothed) > ControlLimit / 2);
        if (!warmedUp) return new ChangeSignal(index, slot, baseline, scale, 0, 0, 0, ChangeDirection.None);
        smoothed = Smoothing * Math.Clamp(z, -stream.ResidualClip, stream.ResidualClip) + (1 - Smoothing) * smoothed;
        var alarm = smoothed > ControlLimit ? ChangeDirection.Up : smoothed < -ControlLimit ? ChangeDirection.Down : ChangeDirection.None;
        var signal = new ChangeSignal(index, slot, baseline, scale, z, Math.Max(smoothed, 0), Math.Max(-smoothed, 0), alarm);
        if (alarm != ChangeDirection.None) smoothed = 0;
        return signal;
    }
}
