using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DomainPlatform.Experimentation.Data;
using DomainPlatform.Statistics;

namespace DomainPlatform.Experimentation.Domain;

/// <summary>An experiment's design as the analysis needs it, with how long it has been running.</summary>
public sealed record AnalysisInput(
    IReadOnlyList<Variant> Variants,
    string PrimaryMetric,
    IReadOnlyList<Guardrail> Guardrails,
    double MinimumDetectableEffect,
    double Alpha,
    double Power,
    long MinSamples,
    long MinDurationSeconds,
    string Method,
    string Correction,
    double RunningSeconds);

/// <summary>What one variant collected in the analysed phase.</summary>
public sealed record VariantFigures(string Name, string ModelVersion, double Weight, long Assigned, long Samples, double Estimate);

public static class AnalysisOutcomes
{
    public const string Continue = "continue";
    public const string Winner = "winner";
    public const string NoDifference = "no-difference";
    public const string GuardrailBreached = "guardrail-breached";
}

public sealed record AnalysisResult(
    string Outcome,
    string? Winner,
    string? WinnerModelVersion,
    string Reason,
    bool MinimumDurationReached,
    IReadOnlyList<VariantFigures> Variants,
    ExperimentDecisionResult Decision)
{
    /// <summary>The primary metric combined over all phases (context only: the decision reads the current phase).</summary>
    public IReadOnlyList<PooledComparison> PooledAcrossPhases { get; init; } = [];

    /// <summary>Each variant's posterior of the primary metric in this phase, as a curve to draw.</summary>
    public IReadOnlyList<VariantPosterior> Posteriors { get; init; } = [];
}

/// <summary>A variant's posterior of the primary metric (null until a mean has two observations with spread).</summary>
public sealed record VariantPosterior(string Variant, PosteriorCurve? Curve);

/// <summary>
/// Runs the statistics engine on one phase's aggregates: builds the per-variant summaries (primary metric,
/// guardrails, assignment counts for the SRM check), decides, and holds any verdict back until the minimum duration.
/// </summary>
public static class ExperimentAnalysis
{
    /// <summary>Serialisation of the sequential state: its intervals start infinite.</summary>
    public static readonly JsonSerializerOptions StateJson = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static AnalysisResult Run(AnalysisInput input, IReadOnlyList<AggregateRow> rows, IReadOnlyDictionary<string, SequentialState>? previous)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(rows);
        var primary = MetricCatalog.Find(input.PrimaryMetric) ?? throw new ArgumentException($"Unknown primary metric '{input.PrimaryMetric}'.", nameof(input));

        var data = input.Variants.Select(v => new VariantData(
            v.Name,
            Summary(primary, Find(rows, v.Name, primary.Name)),
            input.Guardrails.ToDictionary(g => g.Metric, g => Summary(MetricCatalog.Find(g.Metric)!, Find(rows, v.Name, g.Metric))),
            Find(rows, v.Name, MetricCatalog.ErrorRate)?.Count ?? 0)).ToArray();

        var design = new ExperimentDesign
        {
            Alpha = input.Alpha,
            Power = input.Power,
            MinimumDetectableEffect = input.MinimumDetectableEffect,
            MinimumSamplesPerVariant = input.MinSamples,
            Method = input.Method switch { "bayesian" => AnalysisMethod.Bayesian, "sequential" => AnalysisMethod.Sequential, _ => AnalysisMethod.Frequentist },
            Correction = input.Correction == "bh" ? CorrectionMethod.BenjaminiHochberg : CorrectionMethod.Holm,
            PrimaryDirection = Direction(primary),
            Guardrails = input.Guardrails.Select(g => new GuardrailSpec(g.Metric, Direction(MetricCatalog.Find(g.Metric)!), g.MaxRelativeDegradation)).ToArray(),
            PlannedWeights = input.Variants.Select(v => v.Weight).ToArray(),
        };
        var decision = ExperimentDecision.Decide(design, data, previous);

        var figures = input.Variants.Zip(data, (v, d) => new VariantFigures(v.Name, v.ModelVersion, v.Weight, d.Assigned ?? 0, d.Primary.Count, d.Primary.Estimate)).ToArray();
        var durationReached = input.RunningSeconds >= input.MinDurationSeconds;
        var outcome = decision.Outcome switch
        {
            DecisionOutcome.WinnerFound => AnalysisOutcomes.Winner,
            DecisionOutcome.NoDifference => AnalysisOutcomes.NoDifference,
            DecisionOutcome.GuardrailBreached => AnalysisOutcomes.GuardrailBreached,
            _ => AnalysisOutcomes.Continue,
        };
        var reason = decision.Reason;
        // A verdict before the minimum duration would over-weight whoever uses the service early (weekday, time of day).
        if (!durationReached && outcome is AnalysisOutcomes.Winner or AnalysisOutcomes.NoDifference)
        {
            reason = string.Create(CultureInfo.InvariantCulture,
                $"Minimum duration not reached ({input.RunningSeconds:F0} of {input.MinDurationSeconds} s); the data so far says: {decision.Reason}");
            outcome = AnalysisOutcomes.Continue;
        }
        var winner = outcome == AnalysisOutcomes.Winner ? decision.Winner : null;
        return new AnalysisResult(outcome, winner, input.Variants.FirstOrDefault(v => v.Name == winner)?.ModelVersion, reason, durationReached, figures, decision)
        {
            // Credible intervals at the experiment's own confidence.
            Posteriors = data.Select(d => new VariantPosterior(d.Name, PosteriorCurve.Of(d.Primary, 1 - input.Alpha))).ToArray(),
        };
    }

    public static IReadOnlyDictionary<string, SequentialState>? ReadState(string? json) =>
        string.IsNullOrWhiteSpace(json) ? null : JsonSerializer.Deserialize<Dictionary<string, SequentialState>>(json, StateJson);

    public static string WriteState(IReadOnlyDictionary<string, SequentialState> states) => JsonSerializer.Serialize(states, StateJson);

    private static MetricDirection Direction(MetricDefinition metric) => metric.HigherIsBetter ? MetricDirection.HigherIsBetter : MetricDirection.LowerIsBetter;

    private static AggregateRow? Find(IReadOnlyList<AggregateRow> rows, string variant, string metric) =>
        rows.FirstOrDefault(r => r.Variant == variant && r.Metric == metric);

    private static MetricSummary Summary(MetricDefinition metric, AggregateRow? row) =>
        metric.IsRate
            ? MetricSummary.Rate(row?.Count ?? 0, row?.Successes ?? 0)
            : MetricSummary.Mean(row is null ? ContinuousSummary.Empty : ContinuousSummary.FromSums(row.Count, row.Sum, row.SumSquares));
}
