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

/// <summary>Limits a candidate must stay within; the defaults are the platform's.</summary>
public sealed record CanaryThresholds
{
    /// <summary>Largest tolerated fall of accuracy relative to the baseline (0.05 = 5%).</summary>
    public double MaxAccuracyRelativeDrop { get; init; } = 0.05;

    /// <summary>Largest tolerated ratio of candidate to baseline mean latency.</summary>
    public double MaxLatencyRatio { get; init; } = 1.5;

    /// <summary>Largest tolerated candidate error rate.</summary>
    public double MaxErrorRate { get; init; } = 0.10;

    public long MinimumSamples { get; init; } = 50;

    /// <summary>Level of the one-sided tests that turn "above the limit" into "rollback".</summary>
    public double Alpha { get; init; } = 0.05;
}

public sealed record CanaryMetricResult(
    string Metric,
    MetricVerdict Verdict,
    double Baseline,
    double Candidate,
    double Limit,
    double? PValue,
    long CandidateSamples,
    string Reason);

public sealed record CanaryVerdictResult(CanaryOutcome Outcome, string Reason, IReadOnlyList<CanaryMetricResult> Metrics);

/// <summary>
/// Judges a canary step, metric by metric. A metric passes while its estimate is within the limit; beyond the limit
/// it fails (rollback) only when a one-sided test at <see cref="CanaryThresholds.Alpha"/> says it is really beyond,
/// otherwise it holds for more evidence. Fewer than the minimum samples hold, except an error count so high that
/// the limit is already exceeded whatever the remaining requests do. Any failure rolls back; else any hold holds.
/// </summary>
public static class CanaryVerdict
{
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
            results.Add(ErrorRate(baseline.Errors, errors, thresholds));
        }

        if (candidate.Latency is { } latency)
        {
            results.Add(baseline.Latency is { } baseLatency
                ? Latency(baseLatency, latency, thresholds)
                : Missing("latency", latency.Mean, latency.Count));
        }

        if (candidate.Accuracy is { } accuracy)
        {
            results.Add(baseline.Accuracy is { } baseAccuracy
                ? Accuracy(baseAccuracy, accuracy, thresholds)
                : Missing("accuracy", accuracy.Estimate, accuracy.Count));
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

    private static CanaryMetricResult ErrorRate(BinarySummary? baseline, BinarySummary candidate, CanaryThresholds limits)
    {
        var limit = limits.MaxErrorRate;
        var baseRate = baseline?.Rate ?? double.NaN;
        if (candidate.Trials < limits.MinimumSamples)
        {
            // Even if every remaining request up to the minimum succeeds, the rate would stay above the limit.
            if (candidate.Successes > limit * limits.MinimumSamples)
            {
                return new CanaryMetricResult("error rate", MetricVerdict.Fail, baseRate, candidate.Rate, limit, null, candidate.Trials,
                    F($"error rate: {candidate.Successes} errors in {candidate.Trials} requests already exceed {limit:P1} of the {limits.MinimumSamples}-request minimum"));
            }

            return TooFew("error rate", baseRate, candidate.Rate, limit, candidate.Trials, limits);
        }

        if (candidate.Rate <= limit)
        {
            return new CanaryMetricResult("error rate", MetricVerdict.Pass, baseRate, candidate.Rate, limit, null, candidate.Trials,
                F($"error rate {candidate.Rate:P2} ({candidate.Successes}/{candidate.Trials}) within {limit:P1}"));
        }

        // Exact binomial test of H0: rate ≤ limit, P(X ≥ errors | n, limit) = I_limit(errors, n − errors + 1).
        var pValue = Distributions.BetaCdf(limit, candidate.Successes, candidate.Trials - candidate.Successes + 1);
        var verdict = pValue < limits.Alpha ? MetricVerdict.Fail : MetricVerdict.Hold;
        return new CanaryMetricResult("error rate", verdict, baseRate, candidate.Rate, limit, pValue, candidate.Trials,
            verdict == MetricVerdict.Fail
                ? F($"error rate {candidate.Rate:P2} ({candidate.Successes}/{candidate.Trials}) is above {limit:P1} (p = {pValue:G3})")
                : F($"error rate {candidate.Rate:P2} ({candidate.Successes}/{candidate.Trials}) is above {limit:P1} but not yet significantly (p = {pValue:G3})"));
    }

    private static CanaryMetricResult Latency(ContinuousSummary baseline, ContinuousSummary candidate, CanaryThresholds limits)
    {
        var ratio = limits.MaxLatencyRatio;
        if (candidate.Count < limits.MinimumSamples || baseline.Count < limits.MinimumSamples)
        {
            return TooFew("latency", baseline.Mean, candidate.Mean, ratio, Math.Min(candidate.Count, baseline.Count), limits);
        }

        var observedRatio = baseline.Mean > 0 ? candidate.Mean / baseline.Mean : double.PositiveInfinity;
        if (candidate.Mean <= ratio * baseline.Mean)
        {
            return new CanaryMetricResult("latency", MetricVerdict.Pass, baseline.Mean, candidate.Mean, ratio, null, candidate.Count,
                F($"latency {candidate.Mean:G4} vs {baseline.Mean:G4} (x{observedRatio:F2}) within x{ratio}"));
        }

        // H0: candidate mean ≤ ratio × baseline mean; Welch-type statistic with Satterthwaite degrees of freedom.
        var pValue = OneSidedAbove(candidate, baseline, ratio);
        var verdict = pValue < limits.Alpha ? MetricVerdict.Fail : MetricVerdict.Hold;
        return new CanaryMetricResult("latency", verdict, baseline.Mean, candidate.Mean, ratio, pValue, candidate.Count,
            verdict == MetricVerdict.Fail
                ? F($"latency {candidate.Mean:G4} vs {baseline.Mean:G4} (x{observedRatio:F2}) is above x{ratio} (p = {pValue:G3})")
                : F($"latency {candidate.Mean:G4} vs {baseline.Mean:G4} (x{observedRatio:F2}) is above x{ratio} but not yet significantly (p = {pValue:G3})"));
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
            return TooFew("accuracy", baseline.Estimate, candidate.Estimate, limits.MaxAccuracyRelativeDrop, Math.Min(candidate.Count, baseline.Count), limits);
        }

        var drop = baseline.Estimate != 0 ? 1 - candidate.Estimate / baseline.Estimate : 0;
        var floor = factor * baseline.Estimate;
        if (candidate.Estimate >= floor)
        {
            return new CanaryMetricResult("accuracy", MetricVerdict.Pass, baseline.Estimate, candidate.Estimate, limits.MaxAccuracyRelativeDrop, null, candidate.Count,
                F($"accuracy {candidate.Estimate:G4} vs {baseline.Estimate:G4} (drop {drop:P1}) within {limits.MaxAccuracyRelativeDrop:P0}"));
        }

        // H0: candidate ≥ (1 − drop) × baseline; normal statistic on the difference.
        var variance = candidate.EstimateVariance + factor * factor * baseline.EstimateVariance;
        var pValue = variance > 0 ? Distributions.NormalCdf((candidate.Estimate - floor) / Math.Sqrt(variance)) : 0;
        var verdict = pValue < limits.Alpha ? MetricVerdict.Fail : MetricVerdict.Hold;
        return new CanaryMetricResult("accuracy", verdict, baseline.Estimate, candidate.Estimate, limits.MaxAccuracyRelativeDrop, pValue, candidate.Count,
            verdict == MetricVerdict.Fail
                ? F($"accuracy {candidate.Estimate:G4} vs {baseline.Estimate:G4} dropped {drop:P1}, more than {limits.MaxAccuracyRelativeDrop:P0} (p = {pValue:G3})")
                : F($"accuracy {candidate.Estimate:G4} vs {baseline.Estimate:G4} dropped {drop:P1}, more than {limits.MaxAccuracyRelativeDrop:P0} but not yet significantly (p = {pValue:G3})"));
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

    private static CanaryMetricResult TooFew(string metric, double baseline, double candidate, double limit, long samples, CanaryThresholds limits) =>
        new(metric, MetricVerdict.Hold, baseline, candidate, limit, null, samples,
            F($"{metric}: {samples} samples, fewer than the {limits.MinimumSamples} needed"));

    private static CanaryMetricResult Missing(string metric, double candidate, long samples) =>
        new(metric, MetricVerdict.Hold, double.NaN, candidate, double.NaN, null, samples,
            F($"{metric}: the baseline reports no {metric} to compare with"));

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

        if (!(limits.MaxErrorRate > 0 && limits.MaxErrorRate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(limits), limits.MaxErrorRate, "The error rate limit must lie strictly between 0 and 1.");
        }

        if (limits.MinimumSamples < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(limits), limits.MinimumSamples, "At least 2 samples are needed.");
        }

        PowerAnalysis.RequireAlpha(limits.Alpha);
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
