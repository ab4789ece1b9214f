using System.Globalization;
using DomainPlatform.Experimentation.Data;

namespace DomainPlatform.Experimentation.Domain;

/// <summary>
/// What a winner must also show before it is promoted: an improvement of the primary metric over the control of at
/// least <see cref="MinImprovement"/> (relative, 0.05 = 5%), an error rate at most <see cref="MaxErrorRateIncrease"/>
/// above the control's (rate units), a mean latency at most <see cref="MaxLatencyIncrease"/> above the control's
/// (relative). Null: not required.
/// </summary>
public sealed record SuccessCriteria(double? MinImprovement = null, double? MaxErrorRateIncrease = null, double? MaxLatencyIncrease = null);

/// <summary>
/// When a treatment arm fails outright: after the experiment's minimum samples, its error rate above
/// <see cref="MaxErrorRate"/> or its mean latency above <see cref="MaxLatencyMs"/>; at any time, at least
/// <see cref="MaxConsecutiveErrors"/> of its requests failed in a row (since its last success). The experiment then stops
/// and all traffic goes back to the control. Null: not checked.
/// </summary>
public sealed record FailureCriteria(double? MaxErrorRate = null, double? MaxLatencyMs = null, int? MaxConsecutiveErrors = null);

/// <summary>An experiment's policy around the statistics: success and failure criteria and a planned duration (seconds).</summary>
public sealed record ExperimentCriteria
{
    public SuccessCriteria Success { get; init; } = new();
    public FailureCriteria Failure { get; init; } = new();
    public long? PlannedDurationSeconds { get; init; }

    public bool NeedsWatching => Failure.MaxErrorRate is not null || Failure.MaxLatencyMs is not null || Failure.MaxConsecutiveErrors is not null
        || PlannedDurationSeconds is not null;
}

/// <summary>One arm's requests, errors and served latency in the analysed phase, and its errors in a row now.</summary>
public sealed record ArmHealth(string Name, long Requests, long Errors, long LatencySamples, double MeanLatencyMs, int ConsecutiveErrors = 0)
{
    public double ErrorRate => Requests > 0 ? (double)Errors / Requests : 0;
}

public enum CriteriaAction { None, RollBack, Conclude }

/// <summary>What the criteria decide: nothing yet, a rollback (a failure), or the conclusion at the planned duration.</summary>
public sealed record CriteriaDecision(CriteriaAction Action, string Outcome, string? Winner, string? WinnerModelVersion, string Reason)
{
    public static readonly CriteriaDecision None = new(CriteriaAction.None, AnalysisOutcomes.Continue, null, null, "");
}

/// <summary>
/// The policy around the statistics engine, pure: failure criteria roll back at once; at the planned duration the
/// experiment concludes with its decision, a winner only when it also meets the success criteria.
/// </summary>
public static class ExperimentCriteriaRules
{
    public const string CriteriaNotMet = "criteria-not-met";
    public const string Inconclusive = "inconclusive";

    public static IReadOnlyList<ArmHealth> Health(IReadOnlyList<Variant> variants, IReadOnlyList<AggregateRow> rows, IReadOnlyDictionary<string, int>? streaks = null) =>
        variants.Select(v =>
        {
            var errors = rows.FirstOrDefault(r => r.Variant == v.Name && r.Metric == MetricCatalog.ErrorRate);
            var latency = rows.FirstOrDefault(r => r.Variant == v.Name && r.Metric == MetricCatalog.LatencyMs);
            return new ArmHealth(v.Name, errors?.Count ?? 0, errors?.Successes ?? 0, latency?.Count ?? 0, latency?.Mean ?? 0,
                streaks is not null && streaks.TryGetValue(v.Name, out var streak) ? streak : 0);
        }).ToArray();

    public static CriteriaDecision Evaluate(
        ExperimentCriteria criteria, IReadOnlyList<Variant> variants, IReadOnlyList<ArmHealth> arms, AnalysisResult analysis,
        bool primaryHigherIsBetter, long minSamples, double runningSeconds)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        ArgumentNullException.ThrowIfNull(analysis);
        if (Failure(criteria.Failure, arms.Skip(1), minSamples) is { } failure) return new CriteriaDecision(CriteriaAction.RollBack, "rolled-back", null, null, failure);
        if (criteria.PlannedDurationSeconds is not { } planned || runningSeconds < planned) return CriteriaDecision.None;

        var head = F($"planned duration of {planned} s reached");
        switch (analysis.Outcome)
        {
            case AnalysisOutcomes.Winner when analysis.Winner is { } winner:
                if (Shortfall(criteria.Success, analysis, arms, winner, primaryHigherIsBetter) is { } shortfall)
                    return new CriteriaDecision(CriteriaAction.Conclude, CriteriaNotMet, null, null, $"{head}; {winner} won but {shortfall} ({analysis.Reason})");
                return new CriteriaDecision(CriteriaAction.Conclude, AnalysisOutcomes.Winner, winner, analysis.WinnerModelVersion, $"{head}: {analysis.Reason}");
            case AnalysisOutcomes.NoDifference or AnalysisOutcomes.GuardrailBreached:
                return new CriteriaDecision(CriteriaAction.Conclude, analysis.Outcome, null, null, $"{head}: {analysis.Reason}");
            default:
                return new CriteriaDecision(CriteriaAction.Conclude, Inconclusive, null, null, $"{head} without a decision: {analysis.Reason}");
        }
    }

    /// <summary>Why a winner does not meet the success criteria, or null when it does (or none are set).</summary>
    public static string? Shortfall(SuccessCriteria success, AnalysisResult analysis, IReadOnlyList<ArmHealth> arms, string winner, bool primaryHigherIsBetter)
    {
        var control = analysis.Variants.FirstOrDefault();
        var won = analysis.Variants.FirstOrDefault(v => v.Name == winner);
        // The control winning means keeping what serves: nothing to promote, so nothing to check.
        if (control is null || won is null || won.Name == control.Name) return null;
        var problems = new List<string>();
        if (success.MinImprovement is { } minimum)
        {
            var improvement = control.Estimate != 0
                ? (primaryHigherIsBetter ? won.Estimate - control.Estimate : control.Estimate - won.Estimate) / Math.Abs(control.Estimate)
                : double.PositiveInfinity;
            if (improvement < minimum) problems.Add(F($"its improvement {improvement:P1} is below the minimum {minimum:P1} (successCriteria.minImprovement)"));
        }
        var controlArm = arms.FirstOrDefault(a => a.Name == control.Name);
        var winnerArm = arms.FirstOrDefault(a => a.Name == winner);
        if (controlArm is not null && winnerArm is not null)
        {
            if (success.MaxErrorRateIncrease is { } errors && winnerArm.ErrorRate - controlArm.ErrorRate > errors)
                problems.Add(F($"its error rate {winnerArm.ErrorRate:P1} is more than {100 * errors:0.0#} points above the control's {controlArm.ErrorRate:P1} (successCriteria.maxErrorRateIncrease)"));
            if (success.MaxLatencyIncrease is { } latency && controlArm.MeanLatencyMs > 0 && winnerArm.MeanLatencyMs / controlArm.MeanLatencyMs - 1 > latency)
                problems.Add(F($"its latency {winnerArm.MeanLatencyMs:F0} ms is more than {latency:P0} above the control's {controlArm.MeanLatencyMs:F0} ms (successCriteria.maxLatencyIncrease)"));
        }
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private static string? Failure(FailureCriteria failure, IEnumerable<ArmHealth> treatments, long minSamples)
    {
        foreach (var arm in treatments)
        {
            // Errors in a row need no minimum sample: a run of failures is its own evidence.
            if (failure.MaxConsecutiveErrors is { } inRow && arm.ConsecutiveErrors >= inRow)
                return F($"failure criterion failureCriteria.maxConsecutiveErrors: {arm.Name} failed its last {arm.ConsecutiveErrors} requests in a row, at least {inRow}");
            if (failure.MaxErrorRate is { } rate && arm.Requests >= minSamples && arm.ErrorRate > rate)
                return F($"failure criterion failureCriteria.maxErrorRate: {arm.Name} failed {arm.ErrorRate:P1} of its requests ({arm.Errors}/{arm.Requests}), above {rate:P1}");
            if (failure.MaxLatencyMs is { } latency && arm.LatencySamples >= minSamples && arm.MeanLatencyMs > latency)
                return F($"failure criterion failureCriteria.maxLatencyMs: {arm.Name} answered in {arm.MeanLatencyMs:F0} ms on average over {arm.LatencySamples} requests, above {latency:F0} ms");
        }
        return null;
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
