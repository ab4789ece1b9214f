namespace DomainPlatform.Statistics.Tests;

public class ExperimentDecisionTests
{
    private static readonly ExperimentDesign RateDesign = new() { MinimumDetectableEffect = 0.10, MinimumSamplesPerVariant = 500 };

    private static VariantData Rate(string name, long trials, long successes, IReadOnlyDictionary<string, MetricSummary>? guardrails = null, long? assigned = null) =>
        new(name, MetricSummary.Rate(trials, successes), guardrails, assigned);

    private static VariantData Mean(string name, long n, double mean, double variance, IReadOnlyDictionary<string, MetricSummary>? guardrails = null) =>
        new(name, MetricSummary.Mean(ContinuousSummary.FromMoments(n, mean, variance)), guardrails);

    [Fact]
    public void Too_few_samples_continue_and_say_which_variant_is_short()
    {
        var result = ExperimentDecision.Decide(RateDesign, [Rate("control", 2000, 200), Rate("treatment", 300, 40)]);

        Assert.Equal(DecisionOutcome.Continue, result.Outcome);
        Assert.Null(result.Winner);
        Assert.Contains("'treatment' has 300 of the 500", result.Reason);
    }

    [Fact]
    public void A_clear_improvement_at_the_planned_sample_size_wins()
    {
        var result = ExperimentDecision.Decide(RateDesign, [Rate("control", 20_000, 2000), Rate("treatment", 20_000, 2300)]);

        Assert.Equal(DecisionOutcome.WinnerFound, result.Outcome);
        Assert.Equal("treatment", result.Winner);
        Assert.True(result.RequiredSamplesPerVariant is > 10_000 and < 20_000, $"required {result.RequiredSamplesPerVariant}");
        var comparison = Assert.Single(result.Comparisons);
        Assert.Equal(0.015, comparison.Difference, 12);
        Assert.True(comparison.AdjustedPValue < 0.05);
        Assert.Contains("'treatment' beats control", result.Reason);
    }

    [Fact]
    public void The_fixed_horizon_test_waits_for_the_planned_sample_size_even_when_the_interim_looks_significant()
    {
        var result = ExperimentDecision.Decide(RateDesign, [Rate("control", 3000, 300), Rate("treatment", 3000, 390)]);

        Assert.Equal(DecisionOutcome.Continue, result.Outcome);
        Assert.True(Assert.Single(result.Comparisons).AdjustedPValue < 0.05);
        Assert.Contains("Fixed-horizon test is read at", result.Reason);
    }

    [Fact]
    public void A_horizon_fixed_at_the_start_replaces_the_computed_one()
    {
        var design = RateDesign with { PlannedSamplesPerVariant = 2500 };
        var result = ExperimentDecision.Decide(design, [Rate("control", 3000, 300), Rate("treatment", 3000, 390)]);

        Assert.Equal(2500, result.RequiredSamplesPerVariant);
        Assert.Equal(DecisionOutcome.WinnerFound, result.Outcome);
        Assert.Throws<ArgumentOutOfRangeException>(() => ExperimentDecision.Decide(RateDesign with { PlannedSamplesPerVariant = 1 }, [Rate("a", 10, 1), Rate("b", 10, 1)]));
    }

    [Fact]
    public void No_significant_difference_at_the_horizon_is_no_difference()
    {
        var result = ExperimentDecision.Decide(RateDesign, [Rate("control", 20_000, 2000), Rate("treatment", 20_000, 2010)]);

        Assert.Equal(DecisionOutcome.NoDifference, result.Outcome);
        Assert.Null(result.Winner);
        Assert.Contains("No treatment differs significantly", result.Reason);
    }

    [Fact]
    public void When_every_treatment_is_significantly_worse_control_wins()
    {
        var result = ExperimentDecision.Decide(RateDesign, [Rate("control", 20_000, 2300), Rate("b", 20_000, 2000), Rate("c", 20_000, 1950)]);

        Assert.Equal(DecisionOutcome.WinnerFound, result.Outcome);
        Assert.Equal("control", result.Winner);
    }

    [Fact]
    public void Among_several_significant_treatments_the_best_one_wins()
    {
        var result = ExperimentDecision.Decide(RateDesign,
            [Rate("control", 30_000, 3000), Rate("b", 30_000, 3400), Rate("c", 30_000, 3600), Rate("d", 30_000, 3010)]);

        Assert.Equal(DecisionOutcome.WinnerFound, result.Outcome);
        Assert.Equal("c", result.Winner);
        Assert.Equal(3, result.Comparisons.Count);
    }

    [Fact]
    public void The_correction_across_variants_can_withhold_a_borderline_winner()
    {
        // 'b' alone has p ≈ 0.03; across three treatments Holm multiplies it by 3.
        var design = new ExperimentDesign { MinimumDetectableEffect = 0.05, MinimumSamplesPerVariant = 100 };
        VariantData[] variants = [Mean("control", 1000, 10, 4), Mean("b", 1000, 10.194, 4), Mean("c", 1000, 10, 4), Mean("d", 1000, 10.01, 4)];

        var corrected = ExperimentDecision.Decide(design, variants);
        var uncorrected = ExperimentDecision.Decide(design with { Correction = CorrectionMethod.None }, variants);

        var b = corrected.Comparisons.Single(c => c.Variant == "b");
        Assert.InRange(b.PValue!.Value, 0.02, 0.04);
        Assert.Equal(MultipleComparisons.Holm(corrected.Comparisons.Select(c => c.PValue!.Value).ToArray()), corrected.Comparisons.Select(c => c.AdjustedPValue!.Value));
        Assert.Equal(DecisionOutcome.NoDifference, corrected.Outcome);
        Assert.Equal(DecisionOutcome.WinnerFound, uncorrected.Outcome);
        Assert.Equal("b", uncorrected.Winner);
    }

    [Fact]
    public void Lower_is_better_primary_metrics_pick_the_lower_variant()
    {
        var design = new ExperimentDesign { PrimaryDirection = MetricDirection.LowerIsBetter, MinimumDetectableEffect = 0.05 };
        var result = ExperimentDecision.Decide(design, [Mean("control", 2000, 800, 40_000), Mean("fast", 2000, 700, 40_000)]);

        Assert.Equal(DecisionOutcome.WinnerFound, result.Outcome);
        Assert.Equal("fast", result.Winner);
    }

    [Fact]
    public void A_significantly_worse_guardrail_stops_the_experiment_whatever_the_primary_says()
    {
        var design = RateDesign with { Guardrails = [new GuardrailSpec("latency_ms", MetricDirection.LowerIsBetter, 0.10)] };
        var fastControl = new Dictionary<string, MetricSummary> { ["latency_ms"] = MetricSummary.Mean(ContinuousSummary.FromMoments(20_000, 500, 10_000)) };
        var slowTreatment = new Dictionary<string, MetricSummary> { ["latency_ms"] = MetricSummary.Mean(ContinuousSummary.FromMoments(20_000, 700, 10_000)) };

        var result = ExperimentDecision.Decide(design, [Rate("control", 20_000, 2000, fastControl), Rate("treatment", 20_000, 2300, slowTreatment)]);

        Assert.Equal(DecisionOutcome.GuardrailBreached, result.Outcome);
        Assert.Null(result.Winner);
        Assert.Contains("latency_ms", result.Reason);
        var guardrail = Assert.Single(result.Comparisons, c => c.IsGuardrail);
        Assert.True(guardrail.Significant);
        Assert.Equal(0.4, guardrail.RelativeDifference, 12);
    }

    [Fact]
    public void A_degradation_within_the_tolerated_margin_is_no_breach()
    {
        var design = RateDesign with { Guardrails = [new GuardrailSpec("latency_ms", MetricDirection.LowerIsBetter, 0.10)] };
        var control = new Dictionary<string, MetricSummary> { ["latency_ms"] = MetricSummary.Mean(ContinuousSummary.FromMoments(20_000, 500, 10_000)) };
        var slightlySlower = new Dictionary<string, MetricSummary> { ["latency_ms"] = MetricSummary.Mean(ContinuousSummary.FromMoments(20_000, 520, 10_000)) };

        var result = ExperimentDecision.Decide(design, [Rate("control", 20_000, 2000, control), Rate("treatment", 20_000, 2300, slightlySlower)]);

        Assert.Equal(DecisionOutcome.WinnerFound, result.Outcome);
        Assert.False(Assert.Single(result.Comparisons, c => c.IsGuardrail).Significant);
    }

    [Fact]
    public void A_guardrail_without_the_minimum_samples_is_not_judged_yet()
    {
        var design = RateDesign with { Guardrails = [new GuardrailSpec("feedback", MetricDirection.HigherIsBetter)] };
        var sparse = new Dictionary<string, MetricSummary> { ["feedback"] = MetricSummary.Rate(40, 10) };

        var result = ExperimentDecision.Decide(design, [Rate("control", 20_000, 2000, sparse), Rate("treatment", 20_000, 2300, sparse)]);

        Assert.Equal(DecisionOutcome.WinnerFound, result.Outcome);
        Assert.DoesNotContain(result.Comparisons, c => c.IsGuardrail);
    }

    [Fact]
    public void Sequential_guardrails_are_tracked_under_their_own_key()
    {
        var design = RateDesign with
        {
            Method = AnalysisMethod.Sequential,
            MixingVariance = 0.0001,
            Guardrails = [new GuardrailSpec("latency_ms", MetricDirection.LowerIsBetter)],
        };
        var control = new Dictionary<string, MetricSummary> { ["latency_ms"] = MetricSummary.Mean(ContinuousSummary.FromMoments(5000, 500, 10_000)) };
        var slower = new Dictionary<string, MetricSummary> { ["latency_ms"] = MetricSummary.Mean(ContinuousSummary.FromMoments(5000, 560, 10_000)) };

        var result = ExperimentDecision.Decide(design, [Rate("control", 5000, 500, control), Rate("treatment", 5000, 510, slower)]);

        Assert.Equal(DecisionOutcome.GuardrailBreached, result.Outcome);
        Assert.True(result.SequentialStates["treatment/latency_ms"].AlwaysValidPValue < 0.05);
        Assert.True(result.SequentialStates.ContainsKey("treatment/primary"));
    }

    [Fact]
    public void A_sample_ratio_mismatch_blocks_any_verdict()
    {
        var design = RateDesign with { PlannedWeights = [50, 50] };
        var result = ExperimentDecision.Decide(design, [Rate("control", 20_000, 2000, assigned: 20_000), Rate("treatment", 18_000, 2300, assigned: 18_000)]);

        Assert.Equal(DecisionOutcome.Continue, result.Outcome);
        Assert.NotNull(result.SampleRatio);
        Assert.True(result.SampleRatio.IsMismatch);
        Assert.Contains("Sample ratio mismatch", result.Reason);
    }

    [Fact]
    public void Bayesian_method_declares_the_arm_that_is_best_with_the_asked_probability()
    {
        var design = RateDesign with { Method = AnalysisMethod.Bayesian };
        var result = ExperimentDecision.Decide(design, [Rate("control", 5000, 500), Rate("b", 5000, 520), Rate("c", 5000, 640)]);

        Assert.Equal(DecisionOutcome.WinnerFound, result.Outcome);
        Assert.Equal("c", result.Winner);
        var c = result.Comparisons.Single(x => x.Variant == "c");
        Assert.True(c.ProbabilityToBeBest >= 0.95);
        Assert.True(c.ProbabilityToBeatControl >= 0.95);
        Assert.True(c.ExpectedLoss < 0.001);
        Assert.Null(c.PValue);
        Assert.Contains("is best with probability", result.Reason);
    }

    [Fact]
    public void Bayesian_method_continues_while_no_arm_is_confidently_best()
    {
        var design = RateDesign with { Method = AnalysisMethod.Bayesian };
        var result = ExperimentDecision.Decide(design, [Rate("control", 1000, 100), Rate("b", 1000, 105)]);

        Assert.Equal(DecisionOutcome.Continue, result.Outcome);
        Assert.InRange(result.Comparisons[0].ProbabilityToBeBest!.Value, 0.5, 0.95);
    }

    [Fact]
    public void Sequential_method_may_stop_early_and_carries_its_running_minimum()
    {
        var design = RateDesign with { Method = AnalysisMethod.Sequential };
        var early = ExperimentDecision.Decide(design, [Rate("control", 1000, 100), Rate("treatment", 1000, 104)]);
        Assert.Equal(DecisionOutcome.Continue, early.Outcome);
        var firstP = early.SequentialStates["treatment/primary"].AlwaysValidPValue;

        var later = ExperimentDecision.Decide(design, [Rate("control", 4000, 400), Rate("treatment", 4000, 560)], early.SequentialStates);
        Assert.Equal(DecisionOutcome.WinnerFound, later.Outcome);
        Assert.Equal("treatment", later.Winner);
        var state = later.SequentialStates["treatment/primary"];
        Assert.Equal(2, state.Looks);
        Assert.True(state.AlwaysValidPValue <= firstP);
        Assert.Contains("always-valid", later.Reason);
    }

    [Fact]
    public void Sequential_method_concludes_no_difference_when_the_interval_excludes_the_minimum_effect()
    {
        var design = new ExperimentDesign { Method = AnalysisMethod.Sequential, MinimumDetectableEffect = 0.05, MaximumSamplesPerVariant = 10_000_000 };
        var result = ExperimentDecision.Decide(design, [Mean("control", 200_000, 100, 100), Mean("treatment", 200_000, 100.02, 100)]);

        Assert.Equal(DecisionOutcome.NoDifference, result.Outcome);
        Assert.Contains("within ±5", result.Reason);
    }

    [Fact]
    public void Invalid_experiments_are_rejected_with_clear_messages()
    {
        Assert.Contains("control and at least one treatment",
            Assert.Throws<ArgumentException>(() => ExperimentDecision.Decide(RateDesign, [Rate("control", 10, 1)])).Message);
        Assert.Contains("unique",
            Assert.Throws<ArgumentException>(() => ExperimentDecision.Decide(RateDesign, [Rate("a", 10, 1), Rate("a", 10, 1)])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ExperimentDecision.Decide(RateDesign with { Alpha = 0 }, [Rate("a", 10, 1), Rate("b", 10, 1)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ExperimentDecision.Decide(RateDesign with { MinimumDetectableEffect = -0.1 }, [Rate("a", 10, 1), Rate("b", 10, 1)]));
        Assert.Throws<ArgumentException>(() => ExperimentDecision.Decide(RateDesign with { PlannedWeights = [1, 1, 1] }, [Rate("a", 10, 1), Rate("b", 10, 1)]));
        Assert.Contains("is a Rate for control but a Mean",
            Assert.Throws<ArgumentException>(() => ExperimentDecision.Decide(RateDesign, [Rate("a", 1000, 100), Mean("b", 1000, 1, 1)])).Message);
        Assert.Contains("no data for guardrail metric 'errors'",
            Assert.Throws<ArgumentException>(() => ExperimentDecision.Decide(RateDesign with { Guardrails = [new GuardrailSpec("errors", MetricDirection.LowerIsBetter)] },
                [Rate("a", 1000, 100), Rate("b", 1000, 100)])).Message);
    }
}
