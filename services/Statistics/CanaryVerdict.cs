using System.Globalization;

namespace DomainPlatform.Statistics;

public enum CanaryOutcome
{
    /// <summary>Advance to the next step of the ramp.</summary>
    Continue,

    /// <summary>Stay at this step: not enough samples or not enough evidence either way.</summary>
    Hold,

    /// <summary>Send all traffic back to the baseline.</summary>
    Rollback,
}

public enum MetricVerdict
{
    Pass,
    Hold,
    Fail,
}

/// <summary>What one side of a canary measured. Accuracy is a rate or a mean score; errors count requests (trials) and failed ones (successes).</summary>
public sealed record CanaryMetrics(MetricSummary? Accuracy = null, ContinuousSummary? Latency = null, BinarySummary? Errors = null);

/// <summary>
/// Limits a candidate must stay within; the defaults are the platform's. Every limit but the error-rate ceiling is
/// relative to the baseline measured over the same window, so a candidate is never judged against a stable version
/// that fails as often (or is as slow) for reasons that are not the model's.
/// </summary>
public sealed record CanaryThresholds
{
    /// <summary>Largest tolerated fall of accuracy relative to the baseline (0.05 = 5%).</summary>
    public double MaxAccuracyRelativeDrop { get; init; } = 0.05;

    /// <summary>Largest tolerated ratio of candidate to baseline mean latency.</summary>
    public double MaxLatencyRatio { get; init; } = 1.5;

    /// <summary>Largest tolerated increase of the candidate's error rate over the baseline's, in rate units (0.02 = 2 percentage points).</summary>
    public double MaxErrorRateIncrease { get; init; } = 0.02;

    /// <summary>Absolute ceiling on the candidate's error rate, whatever the baseline does; 1 (the default) is no ceiling.</summary>
    public double MaxErrorRate { get; init; } = 1;

    public long MinimumSamples { get; init; } = 50;

    /// <summary>Level of the one-sided tests that turn "above the limit" into "rollback".</summary>
    public double Alpha { get; init; } = 0.05;
}

/// <summary>The names of the limits, as the domain settings and the reasons spell them.</summary>
public static class CanaryLimits
{
    public const string MaxErrorRateIncrease = "maxErrorRateIncrease";
    public const string MaxErrorRate = "maxErrorRate";
    public const string MaxLatencyRatio = "maxLatencyRatio";
    public const string MaxAccuracyDrop = "maxAccuracyDrop";
}

/// <summary>
/// One metric's judgement. <see cref="Limit"/> is the value of the limit named by <see cref="LimitName"/> (one of
/// <see cref="CanaryLimits"/>); <see cref="Reason"/> names it with the figures behind the verdict.
/// </summary>
public sealed record CanaryMetricResult(
    string Metric,
    MetricVerdict Verdict,
    double Baseline,
    double Candidate,
    double Limit,
    string LimitName,
    double? PValue,
    long CandidateSamples,
    string Reason);

public sealed record CanaryVerdictResult(CanaryOutcome Outcome, string Reason, IReadOnlyList<CanaryMetricResult> Metrics);

/// <summary>
/// Judges a canary step, metric by metric, against the baseline over the same window. A metric passes while its
/// estimate is within the limit; beyond the limit it fails (rollback) only when a one-sided test at
/// <see cref="CanaryThresholds.Alpha"/> says it is really beyond, otherwise it holds for more evidence. Fewer than the
/// minimum samples hold, except an error count so high that the absolute ceiling is already exceeded whatever the
/// remaining requests do. Any failure rolls back; else any hold holds.
/// <list type="bullet">
/// <item>"error rate": candidate minus baseline rate above <see cref="CanaryThresholds.MaxErrorRateIncrease"/>
/// (two-proportion z-test of H0: difference ≤ the allowed increase).</item>
/// <item>"error rate ceiling", only when <see cref="CanaryThresholds.MaxErrorRate"/> is below 1: the candidate's own
/// rate above the ceiling (exact binomial test).</item>
/// <item>"latency": mean ratio above <see cref="CanaryThresholds.MaxLatencyRatio"/> (Welch-type test).</item>
/// <item>"accuracy": relative drop above <see cref="CanaryThresholds.MaxAccuracyRelativeDrop"/> (normal test).</item>
/// </list>
/// </summary>
public static class CanaryVerdict
{
    public const string ErrorRateMetric = "error rate";
    public const string ErrorRateCeilingMetric = "error rate ceiling";

    public static CanaryVerdictResult Evaluate(CanaryMetrics baseline, CanaryMetrics candidate, CanaryThresholds? thresholds = null)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        thresholds ??= new CanaryThresholds();
        Validate(thresholds);
        if (candidate.Accuracy is null && candidate.Latency is null && candidate.Errors is null)
        {
            throw new ArgumentException("The candidate reports no metric to judge.", nameof(candidate));
        }

        var results = new List<CanaryMetricResult>();
        if (candidate.Errors is { } errors)
        {
            results.Add(ErrorRateIncrease(baseline.Errors, errors, thresholds));
            if (thresholds.MaxErrorRate < 1)
            {
                results.Add(ErrorRateCeiling(baseline.Errors, errors, thresholds));
            }
        }

        if (candidate.Latency is { } latency)
        {
            results.Add(baseline.Latency is { } baseLatency
                ? Latency(baseLatency, latency, thresholds)
                : Missing("latency", latency.Mean, latency.Count, thresholds.MaxLatencyRatio, CanaryLimits.MaxLatencyRatio));
        }

        if (candidate.Accuracy is { } accuracy)
        {
            results.Add(baseline.Accuracy is { } baseAccuracy
                ? Accuracy(baseAccuracy, accuracy, thresholds)
                : Missing("accuracy", accuracy.Estimate, accuracy.Count, thresholds.MaxAccuracyRelativeDrop, CanaryLimits.MaxAccuracyDrop));
        }

        var outcome = results.Any(r => r.Verdict == MetricVerdict.Fail) ? CanaryOutcome.Rollback
            : results.Any(r => r.Verdict == MetricVerdict.Hold) ? CanaryOutcome.Hold
            : CanaryOutcome.Continue;
        var decisive = outcome switch
        {
            CanaryOutcome.Rollback => results.Where(r => r.Verdict == MetricVerdict.Fail),
            CanaryOutcome.Hold => results.Where(r => r.Verdict == MetricVerdict.Hold),
            _ => results,
        };
        var reason = outcome switch
        {
            CanaryOutcome.Rollback => "Roll back: ",
            CanaryOutcome.Hold => "Hold: ",
            _ => "Advance: ",
        } + string.Join("; ", decisive.Select(r => r.Reason));
        return new CanaryVerdictResult(outcome, reason, results);
    }

    /// <summary>The relative check: the candidate's error rate against the baseline's over the same window.</summary>
    private static CanaryMetricResult ErrorRateIncrease(BinarySummary? baseline, BinarySummary candidate, CanaryThresholds limits)
    {
        const string name = CanaryLimits.MaxErrorRateIncrease;
        var allowed = limits.MaxErrorRateIncrease;
        var limitText = F($"{name} +{100 * allowed:0.0##} points");
        if (baseline is not { Trials: > 0 } stable)
        {
            return new CanaryMetricResult(ErrorRateMetric, MetricVerdict.Hold, double.NaN, candidate.Rate, allowed, name, null, candidate.Trials,
                F($"error rate: the baseline served no requests in this window to compare with ({limitText})"));
        }

        if (candidate.Trials < limits.MinimumSamples || stable.Trials < limits.MinimumSamples)
        {
            return TooFew(ErrorRateMetric, stable.Rate, candidate.Rate, allowed, name, Math.Min(candidate.Trials, stable.Trials), limits);
        }

        var increase = candidate.Rate - stable.Rate;
        var figures = F($"error rate {candidate.Rate:P2} ({candidate.Successes}/{candidate.Trials}) vs baseline {stable.Rate:P2} ({stable.Successes}/{stable.Trials}), {100 * increase:+0.0;-0.0;0.0} points");
        if (increase <= allowed)
        {
            return new CanaryMetricResult(ErrorRateMetric, MetricVerdict.Pass, stable.Rate, candidate.Rate, allowed, name, null, candidate.Trials,
                F($"{figures}, within {limitText}"));
        }

        // H0: candidate rate − baseline rate ≤ the allowed increase; one-sided two-proportion z-test.
        var pValue = ProportionTest.Compare(stable, candidate, nullDifference: allowed).PValueGreater;
        var verdict = pValue < limits.Alpha ? MetricVerdict.Fail : MetricVerdict.Hold;
        return new CanaryMetricResult(ErrorRateMetric, verdict, stable.Rate, candidate.Rate, allowed, name, pValue, candidate.Trials,
            verdict == MetricVerdict.Fail
                ? F($"{figures}, above {limitText} (two-proportion z-test p = {pValue:G3})")
                : F($"{figures}, above {limitText} but not yet significantly (two-proportion z-test p = {pValue:G3})"));
    }

    /// <summary>The absolute ceiling: a second, separate limit on the candidate's own error rate.</summary>
    private static CanaryMetricResult ErrorRateCeiling(BinarySummary? baseline, BinarySummary candidate, CanaryThresholds limits)
    {
        const string name = CanaryLimits.MaxErrorRate;
        var limit = limits.MaxErrorRate;
        var baseRate = baseline is { Trials: > 0 } b ? b.Rate : double.NaN;
        if (candidate.Trials < limits.MinimumSamples)
        {
            // Even if every remaining request up to the minimum succeeds, the rate would stay above the ceiling.
            if (candidate.Successes > limit * limits.MinimumSamples)
            {
                return new CanaryMetricResult(ErrorRateCeilingMetric, MetricVerdict.Fail, baseRate, candidate.Rate, limit, name, null, candidate.Trials,
                    F($"error rate ceiling: {candidate.Successes} errors in {candidate.Trials} requests already exceed the {name} ceiling {limit:P1} of the {limits.MinimumSamples}-request minimum"));
            }

            return TooFew(ErrorRateCeilingMetric, baseRate, candidate.Rate, limit, name, candidate.Trials, limits);
        }

        var figures = F($"error rate {candidate.Rate:P2} ({candidate.Successes}/{candidate.Trials})");
        if (candidate.Rate <= limit)
        {
            return new CanaryMetricResult(ErrorRateCeilingMetric, MetricVerdict.Pass, baseRate, candidate.Rate, limit, name, null, candidate.Trials,
                F($"{figures} within the {name} ceiling {limit:P1}"));
        }

        // Exact binomial test of H0: rate ≤ ceiling, P(X ≥ errors | n, ceiling) = I_ceiling(errors, n − errors + 1).
        var pValue = Distributions.BetaCdf(limit, candidate.Successes, candidate.Trials - candidate.Successes + 1);
        var verdict = pValue < limits.Alpha ? MetricVerdict.Fail : MetricVerdict.Hold;
        return new CanaryMetricResult(ErrorRateCeilingMetric, verdict, baseRate, candidate.Rate, limit, name, pValue, candidate.Trials,
            verdict == MetricVerdict.Fail
                ? F($"{figures} is above the {name} ceiling {limit:P1} (exact binomial p = {pValue:G3})")
                : F($"{figures} is above the {name} ceiling {limit:P1} but not yet significantly (exact binomial p = {pValue:G3})"));
    }

    private static CanaryMetricResult Latency(ContinuousSummary baseline, ContinuousSummary candidate, CanaryThresholds limits)
    {
        var ratio = limits.MaxLatencyRatio;
        if (candidate.Count < limits.MinimumSamples || baseline.Count < limits.MinimumSamples)
        {
            return TooFew("latency", baseline.Mean, candidate.Mean, ratio, CanaryLimits.MaxLatencyRatio, Math.Min(candidate.Count, baseline.Count), limits);
        }

        var observedRatio = baseline.Mean > 0 ? candidate.Mean / baseline.Mean : double.PositiveInfinity;
        if (candidate.Mean <= ratio * baseline.Mean)
        {
            return new CanaryMetricResult("latency", MetricVerdict.Pass, baseline.Mean, candidate.Mean, ratio, CanaryLimits.MaxLatencyRatio, null, candidate.Count,
                F($"latency {candidate.Mean:G4} vs baseline {baseline.Mean:G4} (x{observedRatio:F2}) within {CanaryLimits.MaxLatencyRatio} x{ratio}"));
        }

        // H0: candidate mean ≤ ratio × baseline mean; Welch-type statistic with Satterthwaite degrees of freedom.
        var pValue = OneSidedAbove(candidate, baseline, ratio);
        var verdict = pValue < limits.Alpha ? MetricVerdict.Fail : MetricVerdict.Hold;
        return new CanaryMetricResult("latency", verdict, baseline.Mean, candidate.Mean, ratio, CanaryLimits.MaxLatencyRatio, pValue, candidate.Count,
            verdict == MetricVerdict.Fail
                ? F($"latency {candidate.Mean:G4} vs baseline {baseline.Mean:G4} (x{observedRatio:F2}) is above {CanaryLimits.MaxLatencyRatio} x{ratio} (Welch p = {pValue:G3})")
                : F($"latency {candidate.Mean:G4} vs baseline {baseline.Mean:G4} (x{observedRatio:F2}) is above {CanaryLimits.MaxLatencyRatio} x{ratio} but not yet significantly (Welch p = {pValue:G3})"));
    }

    private static CanaryMetricResult Accuracy(MetricSummary baseline, MetricSummary candidate, CanaryThresholds limits)
    {
        if (baseline.Kind != candidate.Kind)
        {
            throw new ArgumentException($"Accuracy is a {baseline.Kind} for the baseline but a {candidate.Kind} for the candidate.", nameof(candidate));
        }

        var factor = 1 - limits.MaxAccuracyRelativeDrop;
        if (candidate.Count < limits.MinimumSamples || baseline.Count < limits.MinimumSamples)
        {
            return TooFew("accuracy", baseline.Estimate, candidate.Estimate, limits.MaxAccuracyRelativeDrop, CanaryLimits.MaxAccuracyDrop, Math.Min(candidate.Count, baseline.Count), limits);
        }

        var drop = baseline.Estimate != 0 ? 1 - candidate.Estimate / baseline.Estimate : 0;
        var floor = factor * baseline.Estimate;
        if (candidate.Estimate >= floor)
        {
            return new CanaryMetricResult("accuracy", MetricVerdict.Pass, baseline.Estimate, candidate.Estimate, limits.MaxAccuracyRelativeDrop, CanaryLimits.MaxAccuracyDrop, null, candidate.Count,
                F($"accuracy {candidate.Estimate:G4} vs baseline {baseline.Estimate:G4} (drop {drop:P1}) within {CanaryLimits.MaxAccuracyDrop} {limits.MaxAccuracyRelativeDrop:P0}"));
        }

        // H0: candidate ≥ (1 − drop) × baseline; normal statistic on the difference.
        var variance = candidate.EstimateVariance + factor * factor * baseline.EstimateVariance;
        var pValue = variance > 0 ? Distributions.NormalCdf((candidate.Estimate - floor) / Math.Sqrt(variance)) : 0;
        var verdict = pValue < limits.Alpha ? MetricVerdict.Fail : MetricVerdict.Hold;
        return new CanaryMetricResult("accuracy", verdict, baseline.Estimate, candidate.Estimate, limits.MaxAccuracyRelativeDrop, CanaryLimits.MaxAccuracyDrop, pValue, candidate.Count,
            verdict == MetricVerdict.Fail
                ? F($"accuracy {candidate.Estimate:G4} vs baseline {baseline.Estimate:G4} dropped {drop:P1}, more than {CanaryLimits.MaxAccuracyDrop} {limits.MaxAccuracyRelativeDrop:P0} (p = {pValue:G3})")
                : F($"accuracy {candidate.Estimate:G4} vs baseline {baseline.Estimate:G4} dropped {drop:P1}, more than {CanaryLimits.MaxAccuracyDrop} {limits.MaxAccuracyRelativeDrop:P0} but not yet significantly (p = {pValue:G3})"));
    }

    private static double OneSidedAbove(ContinuousSummary candidate, ContinuousSummary baseline, double ratio)
    {
        var candidateVariance = candidate.Variance / candidate.Count;
        var baselineVariance = ratio * ratio * baseline.Variance / baseline.Count;
        var variance = candidateVariance + baselineVariance;
        var excess = candidate.Mean - ratio * baseline.Mean;
        if (!(variance > 0))
        {
            return excess > 0 ? 0 : 1;
        }

        var degreesOfFreedom = variance * variance / (
            candidateVariance * candidateVariance / (candidate.Count - 1) + baselineVariance * baselineVariance / (baseline.Count - 1));
        return Distributions.StudentTSurvival(excess / Math.Sqrt(variance), degreesOfFreedom);
    }

    private static CanaryMetricResult TooFew(string metric, double baseline, double candidate, double limit, string limitName, long samples, CanaryThresholds limits) =>
        new(metric, MetricVerdict.Hold, baseline, candidate, limit, limitName, null, samples,
            F($"{metric}: {samples} samples, fewer than the {limits.MinimumSamples} needed before {limitName} is judged"));

    private static CanaryMetricResult Missing(string metric, double candidate, long samples, double limit, string limitName) =>
        new(metric, MetricVerdict.Hold, double.NaN, candidate, limit, limitName, null, samples,
            F($"{metric}: the baseline reports no {metric} to compare with ({limitName})"));

    private static void Validate(CanaryThresholds limits)
    {
        if (!(limits.MaxAccuracyRelativeDrop >= 0 && limits.MaxAccuracyRelativeDrop < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(limits), limits.MaxAccuracyRelativeDrop, "The tolerated accuracy drop must lie in [0, 1).");
        }

        if (!(limits.MaxLatencyRatio >= 1) || !double.IsFinite(limits.MaxLatencyRatio))
        {
            throw new ArgumentOutOfRangeException(nameof(limits), limits.MaxLatencyRatio, "The latency ratio limit must be at least 1.");
        }

        if (!(limits.MaxErrorRate > 0 && limits.MaxErrorRate <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(limits), limits.MaxErrorRate, "The error rate ceiling must lie in (0, 1]; 1 is no ceiling.");
        }

        if (!(limits.MaxErrorRateIncrease >= 0 && limits.MaxErrorRateIncrease < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(limits), limits.MaxErrorRateIncrease, "The tolerated error rate increase must lie in [0, 1).");
        }

        if (limits.MinimumSamples < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(limits), limits.MinimumSamples, "At least 2 samples are needed.");
        }

        PowerAnalysis.RequireAlpha(limits.Alpha);
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
