namespace DomainPlatform.Statistics;

/// <summary>
/// A stretch of an experiment or rollout during which the planned weights stay fixed. Sample-ratio checks and tests
/// are computed per phase: pooling data across a ramp (1% → 10% → 50%) would compare the pooled counts against no
/// single set of weights and trip the SRM check, and could confound the effect with time.
/// </summary>
public sealed record AnalysisPhase(int Number, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, IReadOnlyList<double> Weights, string Reason)
{
    public bool Contains(DateTimeOffset at) => at >= StartedAt && (EndedAt is null || at < EndedAt);

    /// <summary>SRM check of this phase's assignment counts against its planned weights.</summary>
    public SampleRatioResult CheckSampleRatio(IReadOnlyList<long> assignmentCounts, double threshold = 0.001) =>
        ChiSquareTests.SampleRatioMismatch(assignmentCounts, Weights, threshold);
}

/// <summary>The phases of one experiment, oldest first; immutable, each change returns a new timeline.</summary>
public sealed class PhaseTimeline
{
    private readonly AnalysisPhase[] _phases;

    private PhaseTimeline(AnalysisPhase[] phases) => _phases = phases;

    public IReadOnlyList<AnalysisPhase> Phases => _phases;

    public AnalysisPhase Current => _phases[^1];

    public static PhaseTimeline Start(DateTimeOffset at, IReadOnlyList<double> weights, string reason = "experiment started") =>
        new([new AnalysisPhase(1, at, null, ValidateWeights(weights), reason)]);

    /// <summary>
    /// A new phase from <paramref name="at"/> when the weights differ from the current ones (a weight change or a
    /// canary step); the same timeline when they do not.
    /// </summary>
    public PhaseTimeline ChangeWeights(DateTimeOffset at, IReadOnlyList<double> weights, string reason)
    {
        var validated = ValidateWeights(weights);
        if (validated.Count != Current.Weights.Count)
        {
            throw new ArgumentException($"The experiment has {Current.Weights.Count} variants; {validated.Count} weights were given.", nameof(weights));
        }

        if (at < Current.StartedAt)
        {
            throw new ArgumentOutOfRangeException(nameof(at), at, $"A phase cannot start before the current one ({Current.StartedAt:O}).");
        }

        if (SameProportions(validated, Current.Weights))
        {
            return this;
        }

        var phases = _phases.ToArray();
        phases[^1] = Current with { EndedAt = at };
        return new PhaseTimeline([.. phases, new AnalysisPhase(Current.Number + 1, at, null, validated, reason)]);
    }

    /// <summary>The phase an event at this time belongs to, or null before the first phase.</summary>
    public AnalysisPhase? PhaseAt(DateTimeOffset at) => _phases.LastOrDefault(p => p.Contains(at));

    private static IReadOnlyList<double> ValidateWeights(IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count < 2)
        {
            throw new ArgumentException("A phase needs weights for at least two variants.", nameof(weights));
        }

        if (weights.Any(w => !double.IsFinite(w) || w < 0) || weights.Sum() <= 0)
        {
            throw new ArgumentException("Weights must be finite, non-negative and sum to a positive number.", nameof(weights));
        }

        return weights.ToArray();
    }

    private static bool SameProportions(IReadOnlyList<double> left, IReadOnlyList<double> right)
    {
        var leftSum = left.Sum();
        var rightSum = right.Sum();
        return left.Select((w, i) => Math.Abs(w / leftSum - right[i] / rightSum)).All(d => d < 1e-12);
    }
}

/// <summary>An effect estimate combined across phases.</summary>
public sealed record CombinedEstimate(double Estimate, double StandardError, double Statistic, double PValue, Interval ConfidenceInterval, int Phases);

public static class PhaseCombination
{
    /// <summary>
    /// Fixed-effect inverse-variance combination of per-phase differences: each phase compares its own arms, so a
    /// change of weights between phases cannot bias the pooled estimate. Normal reference distribution.
    /// </summary>
    public static CombinedEstimate InverseVariance(IReadOnlyList<ComparisonResult> perPhase, double confidenceLevel = 0.95)
    {
        ArgumentNullException.ThrowIfNull(perPhase);
        ComparisonResult.RequireConfidence(confidenceLevel);
        var usable = perPhase.Where(p => p.StandardError > 0).ToArray();
        if (usable.Length == 0)
        {
            throw new ArgumentException("No phase has a positive standard error to weight by.", nameof(perPhase));
        }

        var weights = usable.Select(p => 1 / (p.StandardError * p.StandardError)).ToArray();
        var totalWeight = weights.Sum();
        var estimate = usable.Select((p, i) => weights[i] * p.Difference).Sum() / totalWeight;
        var standardError = Math.Sqrt(1 / totalWeight);
        var statistic = estimate / standardError;
        var pValue = 2 * Distributions.NormalSurvival(Math.Abs(statistic));
        var half = Distributions.NormalQuantile(0.5 + confidenceLevel / 2) * standardError;
        return new CombinedEstimate(estimate, standardError, statistic, Math.Min(pValue, 1), new Interval(estimate - half, estimate + half), usable.Length);
    }
}
