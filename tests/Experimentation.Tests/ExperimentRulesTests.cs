using DomainPlatform.Contracts.Events;
using DomainPlatform.Experimentation.Domain;

namespace DomainPlatform.Experimentation.Tests;

public sealed class ExperimentRulesTests
{
    private static CreateExperimentRequest Valid(IReadOnlyList<VariantRequest>? variants = null) => new(
        "checkout", "0x5678-SQLAgent",
        variants ?? [new("control", "1.2.0", null), new("treatment", "1.3.0", null)],
        null, null, null, null, null, null, null, null, null, null, null);

    [Fact]
    public void Defaults_fill_an_even_split_and_the_textbook_design()
    {
        var (spec, errors) = ExperimentRules.Validate(Valid());
        Assert.Empty(errors);
        Assert.NotNull(spec);
        Assert.Equal([50.0, 50.0], spec.Variants.Select(v => v.Weight));
        Assert.Equal((MetricCatalog.Accuracy, 0.05, 0.8, 0.05, "frequentist", "holm"), (spec.PrimaryMetric, spec.Alpha, spec.Power, spec.MinimumDetectableEffect, spec.Method, spec.Correction));
        Assert.True(spec.StopOnGuardrail);
    }

    [Fact]
    public void Weights_are_normalised_to_percent()
    {
        var (spec, _) = ExperimentRules.Validate(Valid([new("a", "1", 2), new("b", "2", 1), new("c", "3", 1)]));
        Assert.Equal([50.0, 25.0, 25.0], spec!.Variants.Select(v => v.Weight));
    }

    [Theory]
    [InlineData("variants")]
    [InlineData("variants[1].name")]
    [InlineData("variants[1].modelVersion")]
    [InlineData("variants[0].weight")]
    public void Bad_variants_are_named_in_the_errors(string field)
    {
        IReadOnlyList<VariantRequest> variants = field switch
        {
            "variants" => [new("only", "1", null)],
            "variants[1].name" => [new("same", "1", null), new("same", "2", null)],
            "variants[1].modelVersion" => [new("a", "1", null), new("b", " ", null)],
            _ => [new("a", "1", -1), new("b", "2", 1)],
        };
        var (spec, errors) = ExperimentRules.Validate(Valid(variants));
        Assert.Null(spec);
        Assert.Contains(field, errors.Keys);
    }

    [Fact]
    public void Mixed_present_and_absent_weights_are_refused()
    {
        var (_, errors) = ExperimentRules.Validate(Valid([new("a", "1", 50), new("b", "2", null)]));
        Assert.Contains("variants", errors.Keys);
    }

    [Fact]
    public void Design_parameters_outside_their_ranges_are_refused()
    {
        var request = Valid() with
        {
            PrimaryMetric = "happiness", Alpha = 0.7, Power = 0.3, MinimumDetectableEffect = 0, MinSamples = 1, MinDurationSeconds = -5,
            AnalysisMethod = "magic", Correction = "bonferroni", GuardrailMetrics = [new("nope", null), new(MetricCatalog.LatencyMs, 1.5)],
        };
        var (spec, errors) = ExperimentRules.Validate(request);
        Assert.Null(spec);
        Assert.Equal(
            ["alpha", "analysisMethod", "correction", "guardrailMetrics[0].metric", "guardrailMetrics[1].maxRelativeDegradation", "minDurationSeconds", "minSamples", "minimumDetectableEffect", "power", "primaryMetric"],
            errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Criteria_outside_their_ranges_are_refused_and_valid_ones_are_kept()
    {
        var bad = Valid() with
        {
            MinDurationSeconds = 600, PlannedDurationSeconds = 300,
            SuccessCriteria = new SuccessCriteria(MinImprovement: -0.1, MaxErrorRateIncrease: 1, MaxLatencyIncrease: double.NaN),
            FailureCriteria = new FailureCriteria(MaxErrorRate: 0, MaxLatencyMs: -1, MaxConsecutiveErrors: 0),
        };
        var (none, errors) = ExperimentRules.Validate(bad);
        Assert.Null(none);
        Assert.Equal(
            ["failureCriteria.maxConsecutiveErrors", "failureCriteria.maxErrorRate", "failureCriteria.maxLatencyMs", "plannedDurationSeconds", "successCriteria.maxErrorRateIncrease",
             "successCriteria.maxLatencyIncrease", "successCriteria.minImprovement"],
            errors.Keys.Order(StringComparer.Ordinal));

        var (spec, ok) = ExperimentRules.Validate(Valid() with
        {
            PlannedDurationSeconds = 86_400, SuccessCriteria = new SuccessCriteria(0.05, 0.01, 0.2), FailureCriteria = new FailureCriteria(0.25, 3000),
        });
        Assert.Empty(ok);
        Assert.Equal(new ExperimentCriteria { PlannedDurationSeconds = 86_400, Success = new(0.05, 0.01, 0.2), Failure = new(0.25, 3000) }, spec!.Criteria);
        Assert.False(ExperimentRules.Validate(Valid()).Spec!.Criteria.NeedsWatching);
    }

    [Fact]
    public void Primary_metric_cannot_be_a_guardrail_too_and_guardrails_are_unique()
    {
        var (_, errors) = ExperimentRules.Validate(Valid() with
        {
            PrimaryMetric = MetricCatalog.ErrorRate,
            GuardrailMetrics = [new(MetricCatalog.ErrorRate, null), new(MetricCatalog.LatencyMs, 0.1), new(MetricCatalog.LatencyMs, 0.2)],
        });
        Assert.Contains("guardrailMetrics[0].metric", errors.Keys);
        Assert.Contains("guardrailMetrics[2].metric", errors.Keys);
        Assert.DoesNotContain("guardrailMetrics[1].metric", errors.Keys);
    }

    [Fact]
    public void Weight_change_names_every_variant_once()
    {
        Variant[] current = [new("control", "1", 50), new("treatment", "2", 50)];
        Assert.Contains("weights", ExperimentRules.ChangeWeights(current, new Dictionary<string, double> { ["control"] = 1 }).Errors.Keys);
        Assert.Contains("weights", ExperimentRules.ChangeWeights(current, new Dictionary<string, double> { ["control"] = 1, ["treatment"] = 1, ["x"] = 1 }).Errors.Keys);
        Assert.Contains("weights", ExperimentRules.ChangeWeights(current, new Dictionary<string, double> { ["control"] = 0, ["treatment"] = 0 }).Errors.Keys);
        Assert.Contains("weights", ExperimentRules.ChangeWeights(current, null).Errors.Keys);
        var (changed, errors) = ExperimentRules.ChangeWeights(current, new Dictionary<string, double> { ["control"] = 9, ["treatment"] = 1 });
        Assert.Empty(errors);
        Assert.Equal([90.0, 10.0], changed!.Select(v => v.Weight));
    }

    [Fact]
    public void Rollback_sends_all_traffic_to_the_control()
    {
        var rolled = ExperimentRules.AllToControl([new("control", "1", 20), new("b", "2", 40), new("c", "3", 40)]);
        Assert.Equal([100.0, 0, 0], rolled.Select(v => v.Weight));
    }

    [Theory]
    [InlineData("start", ExperimentStatus.Draft, true)]
    [InlineData("start", ExperimentStatus.Running, false)]
    [InlineData("stop", ExperimentStatus.Running, true)]
    [InlineData("stop", ExperimentStatus.Draft, false)]
    [InlineData("conclude", ExperimentStatus.Stopped, false)]
    [InlineData("rollback", ExperimentStatus.Running, true)]
    [InlineData("rollback", ExperimentStatus.Concluded, false)]
    [InlineData("weights", ExperimentStatus.Draft, true)]
    [InlineData("weights", ExperimentStatus.RolledBack, false)]
    [InlineData("dance", ExperimentStatus.Running, false)]
    public void Lifecycle_allows_each_action_only_in_its_states(string action, string status, bool allowed) =>
        Assert.Equal(allowed, ExperimentRules.Refusal(status, action) is null);
}

public sealed class OutcomeMetricsTests
{
    private static InferenceCompleted Evt(bool ok = true, bool cacheHit = false, double? ttft = 12) =>
        new("r1", "d", "v", "1", 150, ttft, 10, 30, ok ? 200 : 500, ok, cacheHit, "h", null);

    [Fact]
    public void A_served_request_yields_error_latency_ttft_and_tokens()
    {
        var observations = OutcomeMetrics.FromInference(Evt());
        Assert.Equal(
            [new(MetricCatalog.ErrorRate, 0, false), new(MetricCatalog.LatencyMs, 150, false), new(MetricCatalog.OwnLatencyMs, 150, false),
             new(MetricCatalog.TimeToFirstTokenMs, 12, false),
             new(MetricCatalog.TokensIn, 10, false), new(MetricCatalog.TokensOut, 30, false)],
            observations);
    }

    [Theory]
    [InlineData(40.0, 110.0)]
    [InlineData(0.0, 150.0)]
    [InlineData(null, 150.0)]
    [InlineData(400.0, 0.0)]
    [InlineData(double.NaN, 150.0)]
    [InlineData(-5.0, 150.0)]
    public void Own_latency_is_the_latency_less_the_device_time_other_models_took(double? shared, double own)
    {
        var observations = OutcomeMetrics.FromInference(Evt() with { SharedDeviceMs = shared });
        Assert.Equal(150, observations.Single(o => o.Metric == MetricCatalog.LatencyMs).Value);
        Assert.Equal(own, observations.Single(o => o.Metric == MetricCatalog.OwnLatencyMs).Value);
    }

    [Fact]
    public void Failures_and_cache_hits_count_only_towards_the_error_rate()
    {
        Assert.Equal([new Observation(MetricCatalog.ErrorRate, 1, true)], OutcomeMetrics.FromInference(Evt(ok: false)));
        Assert.Equal([new Observation(MetricCatalog.ErrorRate, 0, false)], OutcomeMetrics.FromInference(Evt(cacheHit: true)));
        Assert.DoesNotContain(OutcomeMetrics.FromInference(Evt(ttft: null)), o => o.Metric == MetricCatalog.TimeToFirstTokenMs);
    }

    [Fact]
    public void A_client_error_counts_for_nothing_and_a_model_failure_still_counts()
    {
        var clientError = new InferenceCompleted("r2", "d", "v", "1", 5, null, 0, 0, 400, false, false, "h", null, ClientError: true);
        Assert.Empty(OutcomeMetrics.FromInference(clientError));
        // Without the field (an older gateway), a 400 is still a failure of the variant, as before.
        var contextExceeded = clientError with { ClientError = false };
        Assert.Equal([new Observation(MetricCatalog.ErrorRate, 1, true)], OutcomeMetrics.FromInference(contextExceeded));
    }

    [Theory]
    [InlineData(0.9, null, 0.9, true)]
    [InlineData(0.2, null, 0.2, false)]
    [InlineData(null, true, 1.0, true)]
    [InlineData(null, false, 0.0, false)]
    [InlineData(1.7, null, 1.0, true)]
    [InlineData(0.3, true, 0.3, true)]
    public void Feedback_becomes_a_score_and_a_right_or_wrong(double? score, bool? thumbsUp, double expectedScore, bool correct)
    {
        var observations = OutcomeMetrics.FromFeedback(new FeedbackReceived("r1", null, null, score, thumbsUp, null));
        Assert.Equal([new(MetricCatalog.FeedbackScore, expectedScore, correct), new(MetricCatalog.Accuracy, correct ? 1 : 0, correct)], observations);
    }

    [Fact]
    public void Feedback_without_a_judgement_yields_nothing() =>
        Assert.Empty(OutcomeMetrics.FromFeedback(new FeedbackReceived("r1", "d", "v", null, null, "meh")));

    [Fact]
    public void Buckets_are_ten_seconds_and_a_phase_start_skips_a_partial_bucket()
    {
        var at = new DateTimeOffset(2026, 11, 23, 12, 0, 17, 250, TimeSpan.Zero);
        Assert.Equal(new DateTime(2026, 11, 23, 12, 0, 10, DateTimeKind.Utc), OutcomeMetrics.BucketOf(at));
        Assert.Equal(new DateTime(2026, 11, 23, 12, 0, 20, DateTimeKind.Utc), OutcomeMetrics.FirstBucketFrom(at));
        var exact = new DateTimeOffset(2026, 11, 23, 12, 0, 20, TimeSpan.Zero);
        Assert.Equal(exact.UtcDateTime, OutcomeMetrics.FirstBucketFrom(exact));
    }
}
