using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;

namespace DomainPlatform.Experimentation.Tests;

public sealed class ExperimentAnalysisTests
{
    private static AnalysisInput Input(string method = "frequentist", long minDuration = 0, double running = 3600, IReadOnlyList<Guardrail>? guardrails = null) => new(
        [new("control", "1.0", 50), new("treatment", "1.1", 50)], MetricCatalog.Accuracy, guardrails ?? [], 0.2, 0.05, 0.8, 100, minDuration, method, "holm", running);

    private static AggregateRow Rate(string variant, string metric, long n, long successes) =>
        new() { Variant = variant, Metric = metric, Count = n, Sum = successes, SumSquares = successes, Successes = successes };

    private static AggregateRow Mean(string variant, string metric, double[] values) =>
        new() { Variant = variant, Metric = metric, Count = values.Length, Sum = values.Sum(), SumSquares = values.Sum(v => v * v) };

    private static readonly AggregateRow[] ClearWin =
    [
        Rate("control", MetricCatalog.Accuracy, 1000, 500), Rate("treatment", MetricCatalog.Accuracy, 1000, 650),
        Rate("control", MetricCatalog.ErrorRate, 1000, 10), Rate("treatment", MetricCatalog.ErrorRate, 1000, 12),
    ];

    [Fact]
    public void A_clear_improvement_is_a_winner_with_its_model_version()
    {
        var result = ExperimentAnalysis.Run(Input(), ClearWin, null);
        Assert.Equal((AnalysisOutcomes.Winner, "treatment", "1.1"), (result.Outcome, result.Winner, result.WinnerModelVersion));
        Assert.Equal([1000L, 1000L], result.Variants.Select(v => v.Assigned));
        Assert.Equal(0.65, result.Variants[1].Estimate, 12);
    }

    [Fact]
    public void No_verdict_before_the_minimum_duration()
    {
        var result = ExperimentAnalysis.Run(Input(minDuration: 7200, running: 60), ClearWin, null);
        Assert.Equal(AnalysisOutcomes.Continue, result.Outcome);
        Assert.Null(result.Winner);
        Assert.False(result.MinimumDurationReached);
        Assert.StartsWith("Minimum duration not reached (60 of 7200 s)", result.Reason);
    }

    [Fact]
    public void A_guardrail_breach_is_reported_even_before_the_minimum_duration()
    {
        var slow = Enumerable.Range(0, 200).Select(i => 300.0 + i % 10).ToArray();
        var fast = Enumerable.Range(0, 200).Select(i => 100.0 + i % 10).ToArray();
        AggregateRow[] rows = [.. ClearWin, Mean("control", MetricCatalog.LatencyMs, fast), Mean("treatment", MetricCatalog.LatencyMs, slow)];
        var result = ExperimentAnalysis.Run(Input(minDuration: 7200, running: 60, guardrails: [new(MetricCatalog.LatencyMs, 0.1)]), rows, null);
        Assert.Equal(AnalysisOutcomes.GuardrailBreached, result.Outcome);
        Assert.Null(result.Winner);
    }

    [Fact]
    public void A_sample_ratio_mismatch_blocks_the_verdict()
    {
        AggregateRow[] rows =
        [
            Rate("control", MetricCatalog.Accuracy, 1000, 500), Rate("treatment", MetricCatalog.Accuracy, 1000, 650),
            Rate("control", MetricCatalog.ErrorRate, 1000, 10), Rate("treatment", MetricCatalog.ErrorRate, 1400, 12),
        ];
        var result = ExperimentAnalysis.Run(Input(), rows, null);
        Assert.Equal(AnalysisOutcomes.Continue, result.Outcome);
        Assert.True(result.Decision.SampleRatio!.IsMismatch);
    }

    [Fact]
    public void Too_few_samples_keep_collecting()
    {
        var result = ExperimentAnalysis.Run(Input(), [Rate("control", MetricCatalog.Accuracy, 10, 5)], null);
        Assert.Equal(AnalysisOutcomes.Continue, result.Outcome);
        Assert.Contains("Collecting data", result.Reason);
    }

    [Fact]
    public void Sequential_state_round_trips_through_json_and_keeps_the_running_minimum()
    {
        var first = ExperimentAnalysis.Run(Input("sequential"), ClearWin, null);
        var json = ExperimentAnalysis.WriteState(first.Decision.SequentialStates);
        var restored = ExperimentAnalysis.ReadState(json)!;
        Assert.Equal(first.Decision.SequentialStates.Keys.Order(), restored.Keys.Order());
        // A later, weaker look cannot raise the always-valid p-value.
        AggregateRow[] weaker = [Rate("control", MetricCatalog.Accuracy, 1000, 500), Rate("treatment", MetricCatalog.Accuracy, 1000, 505),
            Rate("control", MetricCatalog.ErrorRate, 1000, 10), Rate("treatment", MetricCatalog.ErrorRate, 1000, 12)];
        var second = ExperimentAnalysis.Run(Input("sequential"), weaker, restored);
        var key = restored.Keys.Single();
        Assert.Equal(restored[key].AlwaysValidPValue, second.Decision.SequentialStates[key].AlwaysValidPValue);
        Assert.Equal(2, second.Decision.SequentialStates[key].Looks);
        Assert.Null(ExperimentAnalysis.ReadState(null));
    }

    [Fact]
    public void Bayesian_method_gives_probabilities_to_beat_control()
    {
        var result = ExperimentAnalysis.Run(Input("bayesian"), ClearWin, null);
        Assert.Equal(AnalysisOutcomes.Winner, result.Outcome);
        Assert.True(result.Decision.Comparisons.Single(c => !c.IsGuardrail).ProbabilityToBeatControl > 0.99);
    }
}

public sealed class CanaryInputsTests
{
    [Fact]
    public void No_metrics_asked_means_all_and_names_are_normalised()
    {
        Assert.Equal((CanaryInputs.Known, false), (CanaryInputs.Select([]).Metrics, CanaryInputs.Select([]).Explicit));
        var (metrics, unknown, explicitly) = CanaryInputs.Select(["Latency_ms", "error-rate", "mood"]);
        Assert.Equal(["latency", "error_rate"], metrics);
        Assert.Equal(["mood"], unknown);
        Assert.True(explicitly);
    }

    [Fact]
    public void Unset_thresholds_keep_the_platform_defaults()
    {
        var thresholds = CanaryInputs.Thresholds(null, 2.0, 0, 25);
        Assert.Equal((0.05, 2.0, 1.0, 0.02, 25L),
            (thresholds.MaxAccuracyRelativeDrop, thresholds.MaxLatencyRatio, thresholds.MaxErrorRate, thresholds.MaxErrorRateIncrease, thresholds.MinimumSamples));
    }

    [Fact]
    public void An_accuracy_drop_of_zero_is_a_setting_not_the_default()
    {
        var thresholds = CanaryInputs.Thresholds(0, 0, 0, 0);
        Assert.Equal((0.0, 1.5, 1.0, 50L), (thresholds.MaxAccuracyRelativeDrop, thresholds.MaxLatencyRatio, thresholds.MaxErrorRate, thresholds.MinimumSamples));
    }

    [Fact]
    public void An_allowed_error_rate_increase_of_zero_is_a_setting_and_a_ceiling_is_kept_apart()
    {
        var thresholds = CanaryInputs.Thresholds(null, 0, 0.25, 0, maxErrorRateIncrease: 0);
        Assert.Equal((0.0, 0.25), (thresholds.MaxErrorRateIncrease, thresholds.MaxErrorRate));
        Assert.Equal(("error_rate", "error_rate_ceiling", "latency"), (CanaryInputs.KeyOf("error rate"), CanaryInputs.KeyOf("error rate ceiling"), CanaryInputs.KeyOf("latency")));
    }

    [Fact]
    public void Recent_traffic_counts_every_version_and_the_requests_the_models_served()
    {
        AggregateRow[] rows =
        [
            new() { ModelVersion = "1", Metric = MetricCatalog.ErrorRate, Count = 40, Successes = 4 },
            new() { ModelVersion = "2", Metric = MetricCatalog.ErrorRate, Count = 10, Successes = 0 },
            new() { ModelVersion = "1", Metric = MetricCatalog.LatencyMs, Count = 30 },
            new() { ModelVersion = "2", Metric = MetricCatalog.LatencyMs, Count = 10 },
            new() { ModelVersion = "2", Metric = MetricCatalog.Accuracy, Count = 7 },
        ];
        Assert.Equal((50L, 40L), CanaryInputs.Traffic(rows));
        Assert.Equal((0L, 0L), CanaryInputs.Traffic([]));
    }

    [Fact]
    public void Accuracy_is_judged_when_asked_for_or_once_the_candidate_has_feedback()
    {
        AggregateRow[] rows = [new() { ModelVersion = "2", Metric = MetricCatalog.ErrorRate, Count = 10, Successes = 1 }];
        Assert.Null(CanaryInputs.Metrics(rows, "2", CanaryInputs.Known, accuracyRequired: false, candidateHasAccuracy: false).Accuracy);
        Assert.Equal(0, CanaryInputs.Metrics(rows, "2", CanaryInputs.Known, accuracyRequired: true, candidateHasAccuracy: false).Accuracy!.Count);
        var side = CanaryInputs.Metrics(rows, "2", [CanaryInputs.ErrorRate], false, true);
        Assert.Equal((10L, 1L), (side.Errors!.Value.Trials, side.Errors.Value.Successes));
        Assert.Null(side.Latency);
    }
}
