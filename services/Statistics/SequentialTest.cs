namespace DomainPlatform.Statistics;

/// <summary>
/// The state of a sequential comparison carried from one look to the next: the always-valid p-value is the running
/// minimum of 1/Λ over all looks so far, and the always-valid interval the running intersection.
/// </summary>
public sealed record SequentialState(int Looks, double AlwaysValidPValue, Interval AlwaysValidInterval)
{
    public static SequentialState Initial { get; } = new(0, 1, new Interval(double.NegativeInfinity, double.PositiveInfinity));
}

/// <summary>One look of the mixture SPRT.</summary>
public sealed record SequentialLook(
    double Estimate,
    double EstimateVariance,
    double MixingVariance,
    double LogLikelihoodRatio,
    double PValueThisLook,
    SequentialState State)
{
    public double AlwaysValidPValue => State.AlwaysValidPValue;

    public Interval AlwaysValidInterval => State.AlwaysValidInterval;

    public bool Rejects(double alpha) => State.AlwaysValidPValue <= alpha;
}

/// <summary>
/// Mixture sequential probability ratio test (Johari, Pekelis and Walsh 2017, "Always valid inference") for the
/// difference treatment − control, with a normal mixture N(θ₀, τ²) over the effect. With V the variance of the
/// estimated difference, Λ = √(V/(V+τ²))·exp(τ²(Δ̂−θ₀)² / (2V(V+τ²))); 1/Λ, kept as a running minimum, is a
/// p-value that stays valid however often it is looked at. V comes from the observed variances (plug-in), the
/// large-sample form the paper uses for A/B tests.
/// </summary>
public static class SequentialTest
{
    /// <summary>ln Λ for an estimate with variance V under the N(θ₀, τ²) mixture.</summary>
    public static double LogLikelihoodRatio(double estimate, double estimateVariance, double mixingVariance, double nullValue = 0)
    {
        ContinuousSummary.RequireFinite(estimate, nameof(estimate));
        Distributions.RequirePositive(estimateVariance, nameof(estimateVariance));
        Distributions.RequirePositive(mixingVariance, nameof(mixingVariance));
        var total = estimateVariance + mixingVariance;
        var shifted = estimate - nullValue;
        return 0.5 * Math.Log(estimateVariance / total) + mixingVariance * shifted * shifted / (2 * estimateVariance * total);
    }

    /// <summary>The set of nulls θ₀ not rejected at level alpha at this look: Δ̂ ± √(V(V+τ²)/τ² · (ln((V+τ²)/V) + 2 ln(1/α))).</summary>
    public static Interval ConfidenceInterval(double estimate, double estimateVariance, double mixingVariance, double alpha)
    {
        PowerAnalysis.RequireAlpha(alpha);
        Distributions.RequirePositive(estimateVariance, nameof(estimateVariance));
        Distributions.RequirePositive(mixingVariance, nameof(mixingVariance));
        var total = estimateVariance + mixingVariance;
        var half = Math.Sqrt(estimateVariance * total / mixingVariance * (Math.Log(total / estimateVariance) + 2 * Math.Log(1 / alpha)));
        return new Interval(estimate - half, estimate + half);
    }

    /// <summary>Next look for a difference in means (both groups need at least 2 observations).</summary>
    public static SequentialLook Update(SequentialState previous, ContinuousSummary control, ContinuousSummary treatment,
        double mixingVariance, double alpha = 0.05, double nullValue = 0)
    {
        if (control.Count < 2 || treatment.Count < 2)
        {
            throw new ArgumentException($"The sequential test needs at least 2 observations per group (control {control.Count}, treatment {treatment.Count}).");
        }

        var variance = control.Variance / control.Count + treatment.Variance / treatment.Count;
        return Update(previous, treatment.Mean - control.Mean, variance, mixingVariance, alpha, nullValue);
    }

    /// <summary>Next look for a difference in proportions, V = p_c(1−p_c)/n_c + p_t(1−p_t)/n_t.</summary>
    public static SequentialLook Update(SequentialState previous, BinarySummary control, BinarySummary treatment,
        double mixingVariance, double alpha = 0.05, double nullValue = 0)
    {
        if (control.Trials == 0 || treatment.Trials == 0)
        {
            throw new ArgumentException($"The sequential test needs trials in both groups (control {control.Trials}, treatment {treatment.Trials}).");
        }

        var variance = control.BernoulliVariance / control.Trials + treatment.BernoulliVariance / treatment.Trials;
        return Update(previous, treatment.Rate - control.Rate, variance, mixingVariance, alpha, nullValue);
    }

    /// <summary>Next look from an estimate and its variance. A look with zero variance carries no evidence and leaves the state as it was.</summary>
    public static SequentialLook Update(SequentialState previous, double estimate, double estimateVariance,
        double mixingVariance, double alpha = 0.05, double nullValue = 0)
    {
        ArgumentNullException.ThrowIfNull(previous);
        PowerAnalysis.RequireAlpha(alpha);
        Distributions.RequirePositive(mixingVariance, nameof(mixingVariance));
        if (!(estimateVariance > 0))
        {
            return new SequentialLook(estimate, estimateVariance, mixingVariance, 0, 1, previous with { Looks = previous.Looks + 1 });
        }

        var logRatio = LogLikelihoodRatio(estimate, estimateVariance, mixingVariance, nullValue);
        var pThisLook = Math.Min(1, Math.Exp(-logRatio));
        var interval = ConfidenceInterval(estimate, estimateVariance, mixingVariance, alpha);
        var running = new Interval(
            Math.Max(previous.AlwaysValidInterval.Lower, interval.Lower),
            Math.Min(previous.AlwaysValidInterval.Upper, interval.Upper));
        var state = new SequentialState(previous.Looks + 1, Math.Min(previous.AlwaysValidPValue, pThisLook), running);
        return new SequentialLook(estimate, estimateVariance, mixingVariance, logRatio, pThisLook, state);
    }
}
