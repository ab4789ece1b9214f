using System.Globalization;
using DomainPlatform.Contracts.Events;

namespace DomainPlatform.Deployment.Domain;

/// <summary>
/// One metric of an analysis as the rollback rules read it: the candidate (the canary, or the version under watch)
/// against the baseline (the stable, or the previous stable before the switch). Null where the analysis computed none.
/// </summary>
public sealed record CheckFigure(string Metric, double? Baseline, double? Candidate, long BaselineSamples, long CandidateSamples, string? LimitName, double? Limit);

/// <summary>What one check (an analysis pass) says beyond its verdict: whether it failed, and whether it is an emergency.</summary>
public sealed record CheckResult(bool Failed, int FailedInRow, string? Emergency);

/// <summary>
/// The rules of the rollback types (the seeds' Aphrodite framework), pure so each is tested. An emergency sends all
/// traffic back at once: a critical error rate (significantly above 10%), a mean latency above 3000 ms, an error rate
/// significantly five times the baseline's, or <see cref="FailedChecksLimit"/> failed monitoring checks in a row. A
/// figure counts only with at least the samples the analysis needs a side, and an emergency needs the candidate worse
/// than what it goes back to: rolling back to a version that does as badly helps no one. None of these may fire on the
/// noise of a healthy canary: an error rate counts by its 95% Wilson lower bound, not as observed (one error in three
/// requests is no 33% error rate), and a failed monitoring check needs the candidate beyond an absolute warning level as
/// well as beyond its relative limit (a same-speed canary reading x2 over a few noisy samples on a busy machine, at tens
/// of milliseconds, is no failed check; the statistical verdict judges the relative figures).
/// </summary>
public static class RollbackRules
{
    public const double CriticalErrorRate = 0.10;
    public const double CriticalLatencyMs = 3000;
    public const double ErrorIncreaseFactor = 5;
    public const int FailedChecksLimit = 5;
    /// <summary>The monitoring warning levels (experimentation's alert defaults) a failed check must also exceed.</summary>
    public const double WarningErrorRate = 0.05;
    public const double WarningLatencyMs = 1500;
    private const double Z95 = 1.959963984540054;

    public const string ErrorRate = "error_rate";
    public const string ErrorRateCeiling = "error_rate_ceiling";
    public const string Latency = "latency";
    public const string Accuracy = "accuracy";

    /// <summary>
    /// A monitoring check fails when a figure with enough samples a side is beyond its relative limit as observed (significant
    /// or not; a significant one is the analysis' own rollback verdict) and beyond the monitoring warning level too: an error
    /// rate above 5%, a mean latency above 1500 ms, or the domain's own absolute error ceiling. Accuracy is left to the
    /// statistical verdict: feedback is too sparse for an observed drop to mean anything.
    /// </summary>
    public static bool Failed(IReadOnlyList<CheckFigure> figures, long minSamples) => figures.Any(f => Beyond(f, minSamples));

    private static bool Beyond(CheckFigure f, long minSamples)
    {
        if (f.Candidate is not { } candidate || f.Limit is not { } limit || f.CandidateSamples < minSamples) return false;
        if (f.Metric == ErrorRateCeiling) return limit < 1 && candidate > limit;
        if (f.Baseline is not { } baseline || f.BaselineSamples < minSamples) return false;
        return f.Metric switch
        {
            ErrorRate => candidate - baseline > limit && candidate > WarningErrorRate,
            Latency => baseline > 0 && candidate > limit * baseline && candidate > WarningLatencyMs,
            _ => false,
        };
    }

    /// <summary>The 95% Wilson score lower bound of a rate observed over <paramref name="samples"/> trials.</summary>
    public static double WilsonLower(double rate, long samples)
    {
        if (samples <= 0) return 0;
        var n = (double)samples;
        var p = Math.Clamp(rate, 0, 1);
        var z2 = Z95 * Z95;
        var centre = p + z2 / (2 * n);
        var spread = Z95 * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        return Math.Max(0, (centre - spread) / (1 + z2 / n));
    }

    /// <summary>Why the figures are an emergency, or null.</summary>
    public static string? Emergency(IReadOnlyList<CheckFigure> figures, long minSamples, double maxErrorRateIncrease)
    {
        static string Pct(double rate) => (100 * rate).ToString("0.0", CultureInfo.InvariantCulture) + "%";
        static string Ms(double ms) => ms.ToString("0", CultureInfo.InvariantCulture) + " ms";
        foreach (var f in figures)
        {
            if (f.Candidate is not { } candidate || f.CandidateSamples < minSamples) continue;
            var baseline = f.BaselineSamples >= minSamples ? f.Baseline : null;
            switch (f.Metric)
            {
                case ErrorRate when WilsonLower(candidate, f.CandidateSamples) > CriticalErrorRate && (baseline is null || candidate > baseline):
                    return $"critical error rate {Pct(candidate)} above {Pct(CriticalErrorRate)}" + (baseline is { } b ? $" (baseline {Pct(b)})" : "");
                case ErrorRate when baseline is { } b2 && b2 > 0 && WilsonLower(candidate, f.CandidateSamples) >= ErrorIncreaseFactor * b2 && candidate - b2 > maxErrorRateIncrease:
                    return $"error rate {Pct(candidate)} is {(candidate / b2).ToString("0.0", CultureInfo.InvariantCulture)}x the baseline's {Pct(b2)} (5x or more)";
                // A machine where everything is slow is no reason to move traffic: the candidate must also be beyond its ratio.
                case Latency when candidate > CriticalLatencyMs && (baseline is null || candidate > (f.Limit ?? 1) * baseline):
                    return $"mean latency {Ms(candidate)} above {Ms(CriticalLatencyMs)}" + (baseline is { } b3 ? $" (baseline {Ms(b3)})" : "");
            }
        }
        return null;
    }

    /// <summary>Judges one check given the failed checks in a row before it.</summary>
    public static CheckResult Check(IReadOnlyList<CheckFigure> figures, long minSamples, double maxErrorRateIncrease, int failedBefore)
    {
        var failed = Failed(figures, minSamples);
        var inRow = failed ? failedBefore + 1 : 0;
        var emergency = Emergency(figures, minSamples, maxErrorRateIncrease)
            ?? (inRow >= FailedChecksLimit ? $"{inRow} failed monitoring checks in a row (figures beyond the domain's limits and the warning levels; {FailedChecksLimit} make an emergency)" : null);
        return new CheckResult(failed, inRow, emergency);
    }

    /// <summary>What an alert asks of the version it names: an emergency (CRITICAL, EMERGENCY), a gradual step down (WARNING), or nothing.</summary>
    public static string? TypeForAlert(string level) => level.Trim().ToUpperInvariant() switch
    {
        "EMERGENCY" or "CRITICAL" => RollbackTypes.Emergency,
        "WARNING" => RollbackTypes.Gradual,
        _ => null,
    };

    /// <summary>The order of alert levels (INFO 0 to EMERGENCY 3); an unknown level ranks below INFO.</summary>
    public static int LevelRank(string level) => level.Trim().ToUpperInvariant() switch
    {
        "INFO" => 0,
        "WARNING" => 1,
        "CRITICAL" => 2,
        "EMERGENCY" => 3,
        _ => -1,
    };

    public const int MaxGradualSteps = 20;
    public const double MaxGradualStepSeconds = 24 * 3600;

    /// <summary>
    /// The weights of a gradual rollback from <paramref name="fromWeight"/> in <paramref name="steps"/> equal steps,
    /// the last 0 (all traffic back): 50 in 3 steps is 33.33, 16.67, 0.
    /// </summary>
    public static IReadOnlyList<double> GradualWeights(double fromWeight, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(steps, MaxGradualSteps);
        return Enumerable.Range(1, steps).Select(i => i == steps ? 0 : Math.Round(fromWeight * (steps - i) / steps, 2)).ToArray();
    }

    /// <summary>Why a manual rollback request is refused, by field; empty when it is fine.</summary>
    public static Dictionary<string, string[]> ValidateManual(string? reason, string? speed, int? steps, double? stepSeconds, DateTimeOffset? at, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(reason)) errors["reason"] = ["A rollback needs a reason."];
        var gradual = false;
        switch (speed?.Trim().ToLowerInvariant())
        {
            case null or "" or "immediate": break;
            case "gradual": gradual = true; break;
            default: errors["speed"] = ["speed is \"immediate\" (all traffic back at once, the default) or \"gradual\" (over steps)."]; break;
        }
        if (!gradual && (steps is not null || stepSeconds is not null) && !errors.ContainsKey("speed"))
            errors["speed"] = ["steps and stepSeconds belong to a gradual rollback: set speed to \"gradual\"."];
        if (steps is { } n && n is < 1 or > MaxGradualSteps) errors["steps"] = [$"steps is between 1 and {MaxGradualSteps}."];
        if (stepSeconds is { } s && !(s is >= 0 and <= MaxGradualStepSeconds)) errors["stepSeconds"] = ["stepSeconds is between 0 and 86400 (1 day)."];
        if (at is { } when && when <= now) errors["at"] = ["A scheduled rollback is at a time in the future (ISO 8601 with an offset, e.g. 2026-12-01T22:00:00Z); leave it out to roll back now."];
        return errors;
    }
}

/// <summary>A rollback an operator planned on a rollout: its type, the weights still to go through, and when the next is due.</summary>
public sealed record RollbackPlan(string Type, IReadOnlyList<double> Weights, double StepSeconds, DateTime NextAt, string Reason, string Actor, bool Begun)
{
    public bool IsDue(DateTime now) => Weights.Count > 0 && now >= NextAt;

    /// <summary>The next weight, and the plan after it (null when that was the last: traffic is all back).</summary>
    public (double Weight, RollbackPlan? Remaining) Take(DateTime now) =>
        (Weights[0], Weights.Count == 1 ? null : this with { Weights = Weights.Skip(1).ToArray(), NextAt = now + TimeSpan.FromSeconds(StepSeconds), Begun = true });
}
