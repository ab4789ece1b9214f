using System.Globalization;

namespace DomainPlatform.Statistics;

public enum AnalysisMethod
{
    /// <summary>Fixed horizon: Welch / two-proportion tests, read once the planned sample size is reached.</summary>
    Frequentist,

    /// <summary>Beta-Binomial or Normal posteriors: probability to be best and expected loss.</summary>
    Bayesian,

    /// <summary>mSPRT always-valid p-values: may stop at any look without inflating the error rate.</summary>
    Sequential,
}

public enum DecisionOutcome
{
    Continue,
    WinnerFound,
    NoDifference,
    GuardrailBreached,
}

/// <summary>
/// A metric that must not get worse: breached when the treatment is worse than control by more than
/// <see cref="MaxRelativeDegradation"/> (a fraction of the control's value; 0 means any significant degradation).
/// </summary>
public sealed record GuardrailSpec(string Metric, MetricDirection Direction, double MaxRelativeDegradation = 0);

/// <summary>One variant's data. <see cref="Assigned"/> is the number of units assigned (for the SRM check); the primary metric's count stands in when absent.</summary>
public sealed record VariantData(
    string Name,
    MetricSummary Primary,
    IReadOnlyDictionary<string, MetricSummary>? Guardrails = null,
    long? Assigned = null);

/// <summary>What the experiment asked for.</summary>
public sealed record ExperimentDesign
{
    public double Alpha { get; init; } = 0.05;

    public double Power { get; init; } = 0.8;

    /// <summary>Smallest effect worth detecting, relative to the control's value (0.05 = 5%).</summary>
    public double MinimumDetectableEffect { get; init; } = 0.05;

    public long MinimumSamplesPerVariant { get; init; } = 100;

    public AnalysisMethod Method { get; init; } = AnalysisMethod.Frequentist;

    /// <summary>Applied to the p-values of every treatment on the primary metric and on every guardrail together.</summary>
    public CorrectionMethod Correction { get; init; } = CorrectionMethod.Holm;

    public MetricDirection PrimaryDirection { get; init; } = MetricDirection.HigherIsBetter;

    public IReadOnlyList<GuardrailSpec> Guardrails { get; init; } = [];

    /// <summary>Weights of the current phase, for the sample-ratio check; no check when null.</summary>
    public IReadOnlyList<double>? PlannedWeights { get; init; }

    public double SampleRatioThreshold { get; init; } = 0.001;

    /// <summary>
    /// mSPRT mixing variance τ² for the primary metric, on the scale of the difference; by default (MDE × |control|)²,
    /// which moves slightly as the control's estimate settles. Set it to keep it fixed for the whole experiment.
    /// </summary>
    public double? MixingVariance { get; init; }

    /// <summary>
    /// The fixed-horizon sample size per variant, when the service fixed it at the start; otherwise it is computed at
    /// each analysis from the control's current estimate (see <see cref="ExperimentDecision.RequiredSamples"/>).
    /// </summary>
    public long? PlannedSamplesPerVariant { get; init; }

    /// <summary>Sequential and Bayesian runs stop with no difference here; by default the fixed-horizon sample size.</summary>
    public long? MaximumSamplesPerVariant { get; init; }
}

/// <summary>One treatment against control on one metric, with whichever figures the method produces.</summary>
public sealed record MetricComparison(
    string Variant,
    string Metric,
    bool IsGuardrail,
    double ControlEstimate,
    double TreatmentEstimate,
    double Difference,
    Interval ConfidenceInterval,
    double RelativeDifference,
    Interval RelativeConfidenceInterval,
    double? PValue,
    double? AdjustedPValue,
    double? ProbabilityToBeatControl,
    double? ProbabilityToBeBest,
    double? ExpectedLoss,
    double? ProbabilityOfHarm,
    bool Significant);

public sealed record ExperimentDecisionResult(
    DecisionOutcome Outcome,
    string? Winner,
    string Reason,
    AnalysisMethod Method,
    long RequiredSamplesPerVariant,
    IReadOnlyList<MetricComparison> Comparisons,
    SampleRatioResult? SampleRatio,
    IReadOnlyDictionary<string, SequentialState> SequentialStates);

/// <summary>
/// Decides an A/B/n experiment from per-variant summaries (control first). Order of checks: minimum samples,
/// guardrails (a breach stops the experiment), sample ratio (a mismatch blocks any verdict), then the primary
/// metric by the chosen method. A winner is declared only at the confidence asked for (1 − alpha, after the
/// multiple-comparison correction); if every treatment is significantly worse than control, control is the winner.
/// Guardrails are checked at every look; in the fixed-horizon method that makes them deliberately quick to alarm
/// (repeated looks raise their false-alarm rate), in the sequential method their always-valid p-values stay valid.
/// </summary>
public static class ExperimentDecision
{
    public const string PrimaryMetricName = "primary";

    public static ExperimentDecisionResult Decide(ExperimentDesign design, IReadOnlyList<VariantData> variants,
        IReadOnlyDictionary<string, SequentialState>? previousSequentialStates = null)
    {
        Validate(design, variants);
        var control = variants[0];
        var treatments = variants.Skip(1).ToArray();
        var required = design.PlannedSamplesPerVariant ?? RequiredSamples(design, control.Primary, treatments.Length);
        var states = new Dictionary<string, SequentialState>(previousSequentialStates ?? new Dictionary<string, SequentialState>());

        var shortest = variants.MinBy(v => v.Primary.Count)!;
        var minimum = Math.Max(2, design.MinimumSamplesPerVariant);
        if (shortest.Primary.Count < minimum)
        {
            return new ExperimentDecisionResult(DecisionOutcome.Continue, null,
                F($"Collecting data: variant '{shortest.Name}' has {shortest.Primary.Count} of the {minimum} samples needed before any analysis."),
                design.Method, required, [], null, states);
        }

        var drafts = new List<Draft>();
        foreach (var treatment in treatments)
        {
            drafts.Add(PrimaryDraft(design, control, treatment, states));
            foreach (var guardrail in design.Guardrails)
            {
                // A guardrail is judged once both sides have the minimum samples (its metric may lag the primary).
                if (Guardrail(control, guardrail.Metric).Count >= minimum && Guardrail(treatment, guardrail.Metric).Count >= minimum)
                {
                    drafts.Add(GuardrailDraft(design, control, treatment, guardrail, states));
                }
            }
        }

        if (design.Method == AnalysisMethod.Bayesian)
        {
            AddProbabilityToBeBest(design, variants, drafts);
        }
        else
        {
            var adjusted = MultipleComparisons.Adjust(drafts.Select(d => d.PValue!.Value).ToArray(), design.Correction);
            for (var i = 0; i < drafts.Count; i++)
            {
                drafts[i] = drafts[i] with { AdjustedPValue = adjusted[i] };
            }
        }

        var comparisons = drafts.Select(d => d.ToComparison(design)).ToArray();
        var breaches = comparisons.Where(c => c.IsGuardrail && c.Significant).ToArray();
        if (breaches.Length > 0)
        {
            var details = string.Join("; ", breaches.Select(b => F($"'{b.Variant}' {b.Metric} {b.TreatmentEstimate:G4} vs control {b.ControlEstimate:G4} ({b.RelativeDifference:+0.0%;-0.0%}, {Evidence(design, b)})")));
            return new ExperimentDecisionResult(DecisionOutcome.GuardrailBreached, null, $"Guardrail breached: {details}.",
                design.Method, required, comparisons, null, states);
        }

        SampleRatioResult? sampleRatio = null;
        if (design.PlannedWeights is { } weights)
        {
            sampleRatio = ChiSquareTests.SampleRatioMismatch(variants.Select(v => v.Assigned ?? v.Primary.Count).ToArray(), weights, design.SampleRatioThreshold);
            if (sampleRatio.IsMismatch)
            {
                return new ExperimentDecisionResult(DecisionOutcome.Continue, null,
                    F($"Sample ratio mismatch: assignments [{string.Join(", ", sampleRatio.Observed)}] do not fit the planned weights (chi-square {sampleRatio.Statistic:F2}, p = {sampleRatio.PValue:G3} < {sampleRatio.Threshold}); no verdict until the cause is found."),
                    design.Method, required, comparisons, sampleRatio, states);
            }
        }

        var primaries = comparisons.Where(c => !c.IsGuardrail).ToArray();
        var (outcome, winner, reason) = design.Method switch
        {
            AnalysisMethod.Frequentist => DecideFrequentist(design, variants, primaries, required),
            AnalysisMethod.Sequential => DecideSequential(design, variants, primaries, required),
            _ => DecideBayesian(design, variants, primaries, required),
        };
        return new ExperimentDecisionResult(outcome, winner, reason, design.Method, required, comparisons, sampleRatio, states);
    }

    /// <summary>
    /// Fixed-horizon sample size per variant for the primary metric: the MDE relative to the control's current value,
    /// alpha split evenly over the treatments when a correction is asked for (Bonferroni, a safe plan for Holm and BH),
    /// never below the minimum samples. Falls back to the minimum when the control's value gives no scale (0).
    /// </summary>
    public static long RequiredSamples(ExperimentDesign design, MetricSummary control, int treatments)
    {
        ArgumentNullException.ThrowIfNull(design);
        ArgumentNullException.ThrowIfNull(control);
        var alpha = design.Correction == CorrectionMethod.None ? design.Alpha : design.Alpha / Math.Max(1, treatments);
        var minimum = Math.Max(2, design.MinimumSamplesPerVariant);
        try
        {
            if (control.Kind == MetricKind.Rate)
            {
                var rate = control.Binary.Rate;
                var target = rate * (1 + design.MinimumDetectableEffect);
                if (rate is > 0 and < 1 && target is > 0 and < 1)
                {
                    return Math.Max(minimum, PowerAnalysis.ProportionsSampleSizePerGroup(rate, target, alpha, design.Power));
                }
            }
            else
            {
                var sd = control.Continuous.StandardDeviation;
                var effect = design.MinimumDetectableEffect * Math.Abs(control.Continuous.Mean);
                if (sd > 0 && effect > 0)
                {
                    return Math.Max(minimum, PowerAnalysis.TTestSampleSizePerGroup(effect / sd, alpha, design.Power));
                }
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            // An effect too small to plan for: more than a billion per group.
            return long.MaxValue;
        }

        return minimum;
    }

    private static (DecisionOutcome, string?, string) DecideFrequentist(ExperimentDesign design, IReadOnlyList<VariantData> variants, MetricComparison[] primaries, long required)
    {
        var reached = variants.Min(v => v.Primary.Count);
        if (reached < required)
        {
            return (DecisionOutcome.Continue, null,
                F($"Fixed-horizon test is read at {required} samples per variant; the smallest variant has {reached}. Interim: {Summaries(design, primaries)}."));
        }

        return Conclude(design, variants, primaries, "at the planned sample size");
    }

    private static (DecisionOutcome, string?, string) DecideSequential(ExperimentDesign design, IReadOnlyList<VariantData> variants, MetricComparison[] primaries, long required)
    {
        var better = primaries.Where(c => c.Significant && Improves(design.PrimaryDirection, c.Difference)).ToArray();
        var allWorse = primaries.All(c => c.Significant && !Improves(design.PrimaryDirection, c.Difference));
        if (better.Length > 0 || allWorse)
        {
            return Conclude(design, variants, primaries, "with always-valid p-values");
        }

        var maximum = design.MaximumSamplesPerVariant ?? required;
        var reached = variants.Min(v => v.Primary.Count);
        if (reached >= maximum)
        {
            return (DecisionOutcome.NoDifference, null, F($"No significant difference at the maximum of {maximum} samples per variant: {Summaries(design, primaries)}."));
        }

        var scale = design.MinimumDetectableEffect * Math.Abs(primaries[0].ControlEstimate);
        if (scale > 0 && primaries.All(c => c.ConfidenceInterval.Lower > -scale && c.ConfidenceInterval.Upper < scale))
        {
            return (DecisionOutcome.NoDifference, null,
                F($"Every always-valid interval lies within ±{scale:G4} (the minimum detectable effect): {Summaries(design, primaries)}."));
        }

        return (DecisionOutcome.Continue, null, F($"No always-valid conclusion yet ({reached} of at most {maximum} samples per variant): {Summaries(design, primaries)}."));
    }

    private static (DecisionOutcome, string?, string) DecideBayesian(ExperimentDesign design, IReadOnlyList<VariantData> variants, MetricComparison[] primaries, long required)
    {
        var confidence = 1 - design.Alpha;
        var winner = primaries.Where(c => c.ProbabilityToBeBest >= confidence && c.ProbabilityToBeatControl >= confidence).MaxBy(c => c.ProbabilityToBeBest);
        if (winner is not null)
        {
            return (DecisionOutcome.WinnerFound, winner.Variant,
                F($"'{winner.Variant}' is best with probability {winner.ProbabilityToBeBest:P2} and beats control with probability {winner.ProbabilityToBeatControl:P2} (asked {confidence:P0}); expected loss {winner.ExpectedLoss:G3}. {Summaries(design, primaries)}."));
        }

        var controlBest = 1 - primaries.Sum(c => c.ProbabilityToBeBest ?? 0);
        if (controlBest >= confidence)
        {
            return (DecisionOutcome.WinnerFound, variants[0].Name,
                F($"Control '{variants[0].Name}' is best with probability {controlBest:P2} (asked {confidence:P0}): {Summaries(design, primaries)}."));
        }

        var maximum = design.MaximumSamplesPerVariant ?? required;
        var reached = variants.Min(v => v.Primary.Count);
        if (reached >= maximum)
        {
            return (DecisionOutcome.NoDifference, null, F($"No arm reached {confidence:P0} probability to be best by {maximum} samples per variant: {Summaries(design, primaries)}."));
        }

        return (DecisionOutcome.Continue, null, F($"No arm is best with {confidence:P0} probability yet ({reached} of at most {maximum} samples per variant): {Summaries(design, primaries)}."));
    }

    private static (DecisionOutcome, string?, string) Conclude(ExperimentDesign design, IReadOnlyList<VariantData> variants, MetricComparison[] primaries, string when)
    {
        var better = primaries.Where(c => c.Significant && Improves(design.PrimaryDirection, c.Difference)).ToArray();
        if (better.Length > 0)
        {
            var best = design.PrimaryDirection == MetricDirection.HigherIsBetter ? better.MaxBy(c => c.TreatmentEstimate)! : better.MinBy(c => c.TreatmentEstimate)!;
            return (DecisionOutcome.WinnerFound, best.Variant,
                F($"'{best.Variant}' beats control {when}: {best.TreatmentEstimate:G4} vs {best.ControlEstimate:G4} ({best.RelativeDifference:+0.00%;-0.00%}, adjusted p = {best.AdjustedPValue:G3} < {design.Alpha}). {Summaries(design, primaries)}."));
        }

        if (primaries.All(c => c.Significant && !Improves(design.PrimaryDirection, c.Difference)))
        {
            return (DecisionOutcome.WinnerFound, variants[0].Name,
                F($"Every treatment is significantly worse than control '{variants[0].Name}' {when}: {Summaries(design, primaries)}."));
        }

        return (DecisionOutcome.NoDifference, null, F($"No treatment differs significantly from control {when}: {Summaries(design, primaries)}."));
    }

    private static Draft PrimaryDraft(ExperimentDesign design, VariantData control, VariantData treatment, Dictionary<string, SequentialState> states)
    {
        RequireSameKind(control.Primary, treatment.Primary, PrimaryMetricName);
        var comparison = Compare(control.Primary, treatment.Primary, 1 - design.Alpha, 0);
        var draft = new Draft(treatment.Name, PrimaryMetricName, false, comparison);
        return design.Method switch
        {
            AnalysisMethod.Frequentist => draft with { PValue = comparison.PValueTwoSided },
            AnalysisMethod.Sequential => Sequential(design, draft, control.Primary, treatment.Primary, 0, states),
            _ => draft,
        };
    }

    private static Draft GuardrailDraft(ExperimentDesign design, VariantData control, VariantData treatment, GuardrailSpec guardrail, Dictionary<string, SequentialState> states)
    {
        var controlMetric = Guardrail(control, guardrail.Metric);
        var treatmentMetric = Guardrail(treatment, guardrail.Metric);
        RequireSameKind(controlMetric, treatmentMetric, guardrail.Metric);

        // Harm is a fall for higher-is-better metrics and a rise for lower-is-better ones, beyond the tolerated margin.
        var margin = guardrail.MaxRelativeDegradation * Math.Abs(controlMetric.Estimate);
        var nullDifference = guardrail.Direction == MetricDirection.HigherIsBetter ? -margin : margin;
        var comparison = Compare(controlMetric, treatmentMetric, 1 - design.Alpha, nullDifference);
        var draft = new Draft(treatment.Name, guardrail.Metric, true, comparison);
        var harmful = guardrail.Direction == MetricDirection.HigherIsBetter
            ? comparison.Difference < nullDifference
            : comparison.Difference > nullDifference;
        switch (design.Method)
        {
            case AnalysisMethod.Frequentist:
                return draft with { PValue = guardrail.Direction == MetricDirection.HigherIsBetter ? comparison.PValueLess : comparison.PValueGreater };
            case AnalysisMethod.Sequential:
                var sequential = Sequential(design, draft, controlMetric, treatmentMetric, nullDifference, states);
                return sequential with { PValue = harmful ? sequential.PValue : 1 };
            default:
                // Normal approximation to the posterior of the difference: P(harm beyond the margin).
                var variance = controlMetric.EstimateVariance + treatmentMetric.EstimateVariance;
                var harmBeyond = guardrail.Direction == MetricDirection.HigherIsBetter ? nullDifference - comparison.Difference : comparison.Difference - nullDifference;
                var probability = variance > 0 ? Distributions.NormalCdf(harmBeyond / Math.Sqrt(variance)) : harmBeyond > 0 ? 1 : 0;
                return draft with { ProbabilityOfHarm = probability };
        }
    }

    private static Draft Sequential(ExperimentDesign design, Draft draft, MetricSummary control, MetricSummary treatment, double nullValue, Dictionary<string, SequentialState> states)
    {
        var key = $"{draft.Variant}/{draft.Metric}";
        var previous = states.GetValueOrDefault(key) ?? SequentialState.Initial;
        var estimateVariance = control.EstimateVariance + treatment.EstimateVariance;
        var look = SequentialTest.Update(previous, treatment.Estimate - control.Estimate, estimateVariance, MixingVariance(design, control, draft.IsGuardrail), design.Alpha, nullValue);
        states[key] = look.State;
        return draft with { PValue = look.AlwaysValidPValue, AlwaysValidInterval = look.AlwaysValidInterval };
    }

    /// <summary>
    /// τ² = (MDE × |control|)², or (MDE × control sd)² when the control's value is 0; the design's own τ² applies to
    /// the primary metric only, since guardrails are on other scales.
    /// </summary>
    private static double MixingVariance(ExperimentDesign design, MetricSummary control, bool isGuardrail)
    {
        if (!isGuardrail && design.MixingVariance is { } tau2)
        {
            return tau2;
        }

        var scale = design.MinimumDetectableEffect * Math.Abs(control.Estimate);
        if (!(scale > 0))
        {
            scale = design.MinimumDetectableEffect * Math.Sqrt(control.ObservationVariance);
        }

        return scale > 0 ? scale * scale : 1e-12;
    }

    private static void AddProbabilityToBeBest(ExperimentDesign design, IReadOnlyList<VariantData> variants, List<Draft> drafts)
    {
        var posteriors = variants.Select(v => v.Primary.Kind == MetricKind.Rate
            ? (IPosterior)BetaPosterior.FromData(v.Primary.Binary)
            : NormalPosterior.FromData(v.Primary.Continuous)).ToArray();
        var results = BayesianComparison.Compare(posteriors, 0, design.PrimaryDirection, 1 - design.Alpha);
        for (var i = 0; i < drafts.Count; i++)
        {
            if (drafts[i].IsGuardrail)
            {
                continue;
            }

            var index = variants.Select(v => v.Name).ToList().IndexOf(drafts[i].Variant);
            var arm = results[index];
            drafts[i] = drafts[i] with
            {
                ProbabilityToBeatControl = arm.ProbabilityToBeatControl,
                ProbabilityToBeBest = arm.ProbabilityToBeBest,
                ExpectedLoss = arm.ExpectedLoss,
            };
        }
    }

    private static ComparisonResult Compare(MetricSummary control, MetricSummary treatment, double confidence, double nullDifference) =>
        control.Kind == MetricKind.Rate
            ? ProportionTest.Compare(control.Binary, treatment.Binary, confidence, nullDifference)
            : WelchTest.Compare(control.Continuous, treatment.Continuous, confidence, nullDifference);

    private static bool Improves(MetricDirection direction, double difference) =>
        direction == MetricDirection.HigherIsBetter ? difference > 0 : difference < 0;

    private static string Summaries(ExperimentDesign design, IEnumerable<MetricComparison> primaries) =>
        string.Join("; ", primaries.Select(c => design.Method == AnalysisMethod.Bayesian
            ? F($"'{c.Variant}' {c.TreatmentEstimate:G4} vs {c.ControlEstimate:G4}, P(beat control) {c.ProbabilityToBeatControl:P1}, P(best) {c.ProbabilityToBeBest:P1}, expected loss {c.ExpectedLoss:G3}")
            : F($"'{c.Variant}' {c.TreatmentEstimate:G4} vs {c.ControlEstimate:G4} ({c.RelativeDifference:+0.00%;-0.00%}, CI {c.ConfidenceInterval}, p = {c.PValue:G3}, adjusted {c.AdjustedPValue:G3})")));

    private static string Evidence(ExperimentDesign design, MetricComparison c) => design.Method == AnalysisMethod.Bayesian
        ? F($"probability of harm {c.ProbabilityOfHarm:P1}")
        : F($"adjusted p = {c.AdjustedPValue:G3}");

    private static MetricSummary Guardrail(VariantData variant, string metric) =>
        variant.Guardrails is not null && variant.Guardrails.TryGetValue(metric, out var summary)
            ? summary
            : throw new ArgumentException($"Variant '{variant.Name}' has no data for guardrail metric '{metric}'.", nameof(variant));

    private static void RequireSameKind(MetricSummary control, MetricSummary treatment, string metric)
    {
        if (control.Kind != treatment.Kind)
        {
            throw new ArgumentException($"Metric '{metric}' is a {control.Kind} for control but a {treatment.Kind} for a treatment.");
        }
    }

    private static void Validate(ExperimentDesign design, IReadOnlyList<VariantData> variants)
    {
        ArgumentNullException.ThrowIfNull(design);
        ArgumentNullException.ThrowIfNull(variants);
        PowerAnalysis.RequireAlpha(design.Alpha);
        PowerAnalysis.RequirePower(design.Power);
        if (!(design.MinimumDetectableEffect > 0) || !double.IsFinite(design.MinimumDetectableEffect))
        {
            throw new ArgumentOutOfRangeException(nameof(design), design.MinimumDetectableEffect, "The minimum detectable effect must be a positive fraction.");
        }

        if (design.PlannedSamplesPerVariant is < 2 || design.MaximumSamplesPerVariant is < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(design), "Planned and maximum sample sizes must be at least 2 per variant.");
        }

        if (design.MixingVariance is { } tau2 && !(tau2 > 0 && double.IsFinite(tau2)))
        {
            throw new ArgumentOutOfRangeException(nameof(design), tau2, "The mixing variance must be positive.");
        }

        if (variants.Count < 2)
        {
            throw new ArgumentException("An experiment needs a control and at least one treatment.", nameof(variants));
        }

        if (variants.Any(v => v is null || string.IsNullOrWhiteSpace(v.Name) || v.Primary is null))
        {
            throw new ArgumentException("Every variant needs a name and primary metric data.", nameof(variants));
        }

        if (variants.Select(v => v.Name).Distinct(StringComparer.Ordinal).Count() != variants.Count)
        {
            throw new ArgumentException("Variant names must be unique.", nameof(variants));
        }

        if (design.PlannedWeights is { } weights && weights.Count != variants.Count)
        {
            throw new ArgumentException($"{weights.Count} planned weights were given for {variants.Count} variants.", nameof(design));
        }

        if (design.Guardrails.Any(g => g is null || string.IsNullOrWhiteSpace(g.Metric) || !(g.MaxRelativeDegradation >= 0)))
        {
            throw new ArgumentException("Every guardrail needs a metric name and a non-negative tolerated degradation.", nameof(design));
        }
    }

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record Draft(string Variant, string Metric, bool IsGuardrail, ComparisonResult Comparison)
    {
        public double? PValue { get; init; }

        public double? AdjustedPValue { get; init; }

        public double? ProbabilityToBeatControl { get; init; }

        public double? ProbabilityToBeBest { get; init; }

        public double? ExpectedLoss { get; init; }

        public double? ProbabilityOfHarm { get; init; }

        public Interval? AlwaysValidInterval { get; init; }

        public MetricComparison ToComparison(ExperimentDesign design)
        {
            bool significant;
            if (design.Method == AnalysisMethod.Bayesian)
            {
                significant = IsGuardrail
                    ? ProbabilityOfHarm >= 1 - design.Alpha
                    : ProbabilityToBeatControl >= 1 - design.Alpha;
            }
            else
            {
                significant = AdjustedPValue < design.Alpha;
            }

            return new MetricComparison(Variant, Metric, IsGuardrail, Comparison.ControlEstimate, Comparison.TreatmentEstimate,
                Comparison.Difference, AlwaysValidInterval ?? Comparison.ConfidenceInterval, Comparison.RelativeDifference,
                Comparison.RelativeConfidenceInterval, PValue, AdjustedPValue,
                ProbabilityToBeatControl, ProbabilityToBeBest, ExpectedLoss, ProbabilityOfHarm, significant);
        }
    }
}
