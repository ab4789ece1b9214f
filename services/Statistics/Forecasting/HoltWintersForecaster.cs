namespace DomainPlatform.Statistics.Forecasting;

/// <summary>Which side of a threshold counts as crossing it.</summary>
public enum CrossingSide
{
    /// <summary>The forecast reaches or passes the threshold from below (latency, error rate).</summary>
    Above,

    /// <summary>The forecast reaches or falls under the threshold (accuracy, tokens/s).</summary>
    Below,
}

/// <summary>Smoothing weights of the forecaster, each in [0, 1]: level α, trend β, season γ.</summary>
public sealed record ForecastSmoothing(double Level = 0.1, double Trend = 0.01, double Season = 0.1)
{
    internal void Validate()
    {
        foreach (var (weight, name) in new[] { (Level, nameof(Level)), (Trend, nameof(Trend)), (Season, nameof(Season)) })
        {
            if (!(weight >= 0 && weight <= 1)) throw new ArgumentOutOfRangeException(name, weight, "A smoothing weight must be in [0, 1].");
        }
    }
}

/// <summary>
/// Incremental additive Holt-Winters forecaster, with plain Holt linear (level and trend) when there is no season.
/// After each sample y in slot s:
///   ℓ' = α(y − season[s]) + (1 − α)(ℓ + b),  b' = β(ℓ' − ℓ) + (1 − β)b,  season[s] = γ(y − ℓ') + (1 − γ)season[s];
/// the forecast h samples ahead is ℓ + h·b + season[slot of the sample h ahead].
/// Start: Holt takes ℓ = y₁, b = 0 at the first sample and updates from the second. Holt-Winters averages each
/// slot over the first season, then ℓ = the mean of the slot means, season[s] = slot mean − ℓ, b = 0, and updates
/// from the first sample of the second season. Memory: level, trend, one value per slot.
/// With an outlier limit c (robust Holt-Winters, Gelper, Fried and Croux 2010), once ready each sample is first
/// cleaned to ŷ + clamp(y − ŷ, ±c·σ̂), ŷ the one-step forecast and σ̂ = √(π/2)·(EWMA of the cleaned |y − ŷ|, weight
/// max(0.05, 1/n)), never less than a minimum scale for the cut; the first 10 residuals are taken as they are, to
/// learn σ̂, and so is any residual while the cut would be 0 (a constant stream must not freeze the forecaster).
/// </summary>
public sealed class HoltWintersForecaster
{
    private readonly double[] seasonal;
    private readonly long[] firstSeasonCounts;
    private readonly long firstSampleIndex;
    private long samples;
    private long residuals;
    private double absoluteResidual;

    /// <summary>Residuals taken as they are before the cleaning starts.</summary>
    public const int ResidualsBeforeCleaning = 10;

    public HoltWintersForecaster(SeasonalSlots slots, ForecastSmoothing? smoothing = null, long firstSampleIndex = 0, double? outlierLimit = null,
        double minimumResidualScale = 0)
    {
        if (!(minimumResidualScale >= 0 && double.IsFinite(minimumResidualScale))) throw new ArgumentOutOfRangeException(nameof(minimumResidualScale), minimumResidualScale, "The minimum residual scale must be a finite number ≥ 0.");
        MinimumResidualScale = minimumResidualScale;
        ArgumentOutOfRangeException.ThrowIfNegative(firstSampleIndex);
        if (outlierLimit is { } limit && !(limit > 0 && double.IsFinite(limit))) throw new ArgumentOutOfRangeException(nameof(outlierLimit), limit, "The outlier limit must be a positive number of σ.");
        OutlierLimit = outlierLimit;
        Smoothing = smoothing ?? new ForecastSmoothing();
        Smoothing.Validate();
        Slots = slots;
        this.firstSampleIndex = firstSampleIndex;
        seasonal = new double[slots.SlotCount];
        firstSeasonCounts = new long[slots.SlotCount];
    }

    public SeasonalSlots Slots { get; }

    public ForecastSmoothing Smoothing { get; }

    /// <summary>Residuals beyond ± this many σ̂ are cut back before they update the forecaster; null: no cleaning.</summary>
    public double? OutlierLimit { get; }

    /// <summary>The cut is at least OutlierLimit times this (in the stream's units).</summary>
    public double MinimumResidualScale { get; }

    /// <summary>σ̂ of the one-step residuals (0 without an outlier limit).</summary>
    public double ResidualScale => RobustBaseline.NormalScalePerAbsoluteDeviation * absoluteResidual;

    public long Samples => samples;

    /// <summary>True once the forecaster has a level (Holt: one sample; Holt-Winters: one full season).</summary>
    public bool IsReady { get; private set; }

    public double Level { get; private set; }

    /// <summary>Change of the level per sample.</summary>
    public double Trend { get; private set; }

    public double SeasonalComponent(int slot) => Slots.IsSeasonal ? seasonal[slot] : 0;

    public void Observe(double value)
    {
        ContinuousSummary.RequireFinite(value, nameof(value));
        if (IsReady && OutlierLimit is { } limit) value = Cleaned(value, limit);
        var slot = Slots.SlotOf(firstSampleIndex + samples);
        samples++;
        if (!Slots.IsSeasonal)
        {
            if (!IsReady)
            {
                Level = value;
                IsReady = true;
                return;
            }

            var previous = Level;
            Level = Smoothing.Level * value + (1 - Smoothing.Level) * (previous + Trend);
            Trend = Smoothing.Trend * (Level - previous) + (1 - Smoothing.Trend) * Trend;
            return;
        }

        if (!IsReady)
        {
            // First season: slot means, kept in the seasonal array itself.
            var count = ++firstSeasonCounts[slot];
            seasonal[slot] += (value - seasonal[slot]) / count;
            if (samples == Slots.Period)
            {
                Level = seasonal.Average();
                for (var s = 0; s < seasonal.Length; s++) seasonal[s] -= Level;
                IsReady = true;
            }

            return;
        }

        var before = Level;
        Level = Smoothing.Level * (value - seasonal[slot]) + (1 - Smoothing.Level) * (before + Trend);
        Trend = Smoothing.Trend * (Level - before) + (1 - Smoothing.Trend) * Trend;
        seasonal[slot] = Smoothing.Season * (value - Level) + (1 - Smoothing.Season) * seasonal[slot];
    }

    private double Cleaned(double value, double limit)
    {
        var expected = Forecast(1);
        var residual = value - expected;
        var count = ++residuals;
        var bound = limit * Math.Max(ResidualScale, MinimumResidualScale);
        if (count > ResidualsBeforeCleaning && bound > 0) residual = Math.Clamp(residual, -bound, bound);

        absoluteResidual += Math.Max(0.05, 1.0 / count) * (Math.Abs(residual) - absoluteResidual);
        return expected + residual;
    }

    /// <summary>The forecast for the sample <paramref name="stepsAhead"/> after the last one seen (1 = the next).</summary>
    public double Forecast(int stepsAhead)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepsAhead, 1);
        if (!IsReady) throw new InvalidOperationException("The forecaster has not seen enough samples yet (IsReady is false).");
        var slot = Slots.SlotOf(firstSampleIndex + samples - 1 + stepsAhead);
        return Level + stepsAhead * Trend + SeasonalComponent(slot);
    }

    /// <summary>
    /// The first step h in 1..horizon whose forecast reaches the threshold on the given side, or null when none does
    /// (or the forecaster is not ready).
    /// </summary>
    public int? StepsUntilCrossing(double threshold, int horizon, CrossingSide side = CrossingSide.Above)
    {
        ContinuousSummary.RequireFinite(threshold, nameof(threshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1);
        if (!IsReady) return null;
        for (var h = 1; h <= horizon; h++)
        {
            var forecast = Forecast(h);
            if (side == CrossingSide.Above ? forecast >= threshold : forecast <= threshold) return h;
        }

        return null;
    }
}
