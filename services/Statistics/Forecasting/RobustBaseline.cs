namespace DomainPlatform.Statistics.Forecasting;

/// <summary>
/// A per-slot baseline that outliers do not drag: each slot keeps an exponentially weighted mean and an
/// exponentially weighted mean absolute deviation, both fed the residual winsorized at ±WinsorLimit·σ̂, with
/// σ̂ = √(π/2)·(mean absolute deviation) (σ for normal noise). The weight of a sample is max(Smoothing, 1/n), so a
/// slot's first samples are averaged plainly and later ones forget at the chosen rate; a slot's first
/// <c>warmUpSamples</c> are not winsorized (a σ̂ from a few samples can be far too small, and winsorizing at it would
/// keep it small). O(1) memory per slot.
/// </summary>
public sealed class RobustBaseline
{
    /// <summary>E|X − μ| = σ·√(2/π) for normal X.</summary>
    public static readonly double NormalScalePerAbsoluteDeviation = Math.Sqrt(Math.PI / 2);

    private readonly double[] means;
    private readonly double[] absoluteDeviations;
    private readonly long[] counts;

    public RobustBaseline(SeasonalSlots slots, double smoothing, double winsorLimit = 3, double minimumScale = 0, int warmUpSamples = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmUpSamples);
        if (!(minimumScale >= 0 && double.IsFinite(minimumScale))) throw new ArgumentOutOfRangeException(nameof(minimumScale), minimumScale, "The minimum scale must be a finite number ≥ 0.");
        if (!(smoothing > 0 && smoothing <= 1)) throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "The smoothing weight must be in (0, 1].");
        if (!(winsorLimit > 0)) throw new ArgumentOutOfRangeException(nameof(winsorLimit), winsorLimit, "The winsor limit must be positive.");
        Slots = slots;
        Smoothing = smoothing;
        WinsorLimit = winsorLimit;
        MinimumScale = minimumScale;
        WarmUpSamples = warmUpSamples;
        means = new double[slots.SlotCount];
        absoluteDeviations = new double[slots.SlotCount];
        counts = new long[slots.SlotCount];
    }

    public SeasonalSlots Slots { get; }

    public double Smoothing { get; }

    public double WinsorLimit { get; }

    /// <summary>The winsorizing uses σ̂ no smaller than this.</summary>
    public double MinimumScale { get; }

    /// <summary>Samples of a slot taken before winsorizing starts.</summary>
    public int WarmUpSamples { get; }

    public long Count(int slot) => counts[slot];

    public double Mean(int slot) => means[slot];

    /// <summary>The robust σ̂ of the slot (0 until it has seen two samples that differ).</summary>
    public double Scale(int slot) => NormalScalePerAbsoluteDeviation * absoluteDeviations[slot];

    /// <summary>Takes one sample of the slot; returns its residual from the mean before the update.</summary>
    public double Add(int slot, double value)
    {
        ContinuousSummary.RequireFinite(value, nameof(value));
        var count = ++counts[slot];
        if (count == 1)
        {
            means[slot] = value;
            return 0;
        }

        var residual = value - means[slot];
        var scale = Math.Max(Scale(slot), MinimumScale);
        var limited = scale > 0 && count > WarmUpSamples ? Math.Clamp(residual, -WinsorLimit * scale, WinsorLimit * scale) : residual;
        var weight = Math.Max(Smoothing, 1.0 / count);
        means[slot] += weight * limited;
        absoluteDeviations[slot] += weight * (Math.Abs(limited) - absoluteDeviations[slot]);
        return residual;
    }
}
