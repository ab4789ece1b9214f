using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using DomainPlatform.Statistics;

namespace DomainPlatform.Experimentation.Tests;

public sealed class ExperimentCriteriaTests
{
    private static readonly Variant[] Variants = [new("control", "1.0.0", 50), new("treatment", "1.1.0", 50)];

    private static AnalysisResult Analysis(string outcome, string? winner, double controlEstimate, double treatmentEstimate) => new(
        outcome, winner, winner is null ? null : Variants.Single(v => v.Name == winner).ModelVersion, $"scripted {outcome}", true,
        [new VariantFigures("control", "1.0.0", 50, 200, 200, controlEstimate), new VariantFigures("treatment", "1.1.0", 50, 200, 200, treatmentEstimate)],
        new ExperimentDecisionResult(DecisionOutcome.Continue, winner, "", AnalysisMethod.Frequentist, 100, [], null, new Dictionary<string, SequentialState>()));

    private static ArmHealth[] Arms(long treatmentErrors = 2, double treatmentLatency = 100, long requests = 200) =>
        [new("control", requests, 2, requests, 100), new("treatment", requests, treatmentErrors, requests - treatmentErrors, treatmentLatency)];

    private static CriteriaDecision Evaluate(ExperimentCriteria criteria, AnalysisResult analysis, ArmHealth[] arms, double running = 10, bool higherIsBetter = true) =>
        ExperimentCriteriaRules.Evaluate(criteria, Variants, arms, analysis, higherIsBetter, minSamples: 100, running);

    [Fact]
    public void A_treatment_over_the_maximum_error_rate_rolls_back_naming_the_criterion()
    {
        var decision = Evaluate(new ExperimentCriteria { Failure = new FailureCriteria(MaxErrorRate: 0.10) }, Analysis("continue", null, 0.9, 0.9), Arms(treatmentErrors: 60));

        Assert.Equal((CriteriaAction.RollBack, "rolled-back"), (decision.Action, decision.Outcome));
        Assert.Equal("failure criterion failureCriteria.maxErrorRate: treatment failed 30.0 % of its requests (60/200), above 10.0 %", decision.Reason);
    }

    [Fact]
    public void A_treatment_failing_its_last_requests_in_a_row_rolls_back_without_waiting_for_the_minimum_samples()
    {
        var criteria = new ExperimentCriteria { Failure = new FailureCriteria(MaxConsecutiveErrors: 5) };
        ArmHealth[] Streak(int inRow) => [new("control", 20, 0, 20, 100), new("treatment", 20, inRow, 20 - inRow, 100, inRow)];
        Assert.Equal(CriteriaAction.None, Evaluate(criteria, Analysis("continue", null, 0.9, 0.9), Streak(4)).Action);
        var decision = Evaluate(criteria, Analysis("continue", null, 0.9, 0.9), Streak(5));
        Assert.Equal((CriteriaAction.RollBack, "failure criterion failureCriteria.maxConsecutiveErrors: treatment failed its last 5 requests in a row, at least 5"),
            (decision.Action, decision.Reason));
        Assert.True(criteria.NeedsWatching);
    }

    [Fact]
    public void A_treatment_over_the_maximum_latency_rolls_back()
    {
        var decision = Evaluate(new ExperimentCriteria { Failure = new FailureCriteria(MaxLatencyMs: 500) }, Analysis("continue", null, 0.9, 0.9), Arms(treatmentLatency: 800));

        Assert.Equal(CriteriaAction.RollBack, decision.Action);
        Assert.Contains("failureCriteria.maxLatencyMs: treatment answered in 800 ms on average over 198 requests, above 500 ms", decision.Reason);
    }

    [Fact]
    public void Failure_criteria_wait_for_the_minimum_samples_and_never_judge_the_control()
    {
        var criteria = new ExperimentCriteria { Failure = new FailureCriteria(MaxErrorRate: 0.10, MaxLatencyMs: 50) };
        Assert.Equal(CriteriaAction.None, Evaluate(criteria, Analysis("continue", null, 0.9, 0.9), Arms(treatmentErrors: 60, treatmentLatency: 10, requests: 99)).Action);

        // The control is what traffic goes back to: its own failures are the monitor's alerts, not a reason to roll back.
        ArmHealth[] failingControl = [new("control", 200, 150, 50, 900), new("treatment", 200, 2, 198, 40)];
        Assert.Equal(CriteriaAction.None, Evaluate(criteria, Analysis("continue", null, 0.9, 0.9), failingControl).Action);
    }

    [Fact]
    public void Before_the_planned_duration_nothing_concludes()
    {
        var criteria = new ExperimentCriteria { PlannedDurationSeconds = 3600 };
        Assert.Equal(CriteriaDecision.None, Evaluate(criteria, Analysis("winner", "treatment", 0.8, 0.9), Arms(), running: 3599));
        Assert.Equal(CriteriaDecision.None, Evaluate(new ExperimentCriteria(), Analysis("winner", "treatment", 0.8, 0.9), Arms(), running: 1e9));
    }

    [Theory]
    [InlineData("winner", "treatment", "winner", "treatment")]
    [InlineData("no-difference", null, "no-difference", null)]
    [InlineData("continue", null, "inconclusive", null)]
    [InlineData("guardrail-breached", null, "guardrail-breached", null)]
    public void At_the_planned_duration_the_experiment_concludes_with_its_decision(string outcome, string? winner, string concluded, string? concludedWinner)
    {
        var decision = Evaluate(new ExperimentCriteria { PlannedDurationSeconds = 60 }, Analysis(outcome, winner, 0.8, 0.9), Arms(), running: 60);

        Assert.Equal((CriteriaAction.Conclude, concluded, concludedWinner), (decision.Action, decision.Outcome, decision.Winner));
        Assert.StartsWith("planned duration of 60 s reached", decision.Reason);
        Assert.Equal(concludedWinner is null ? null : "1.1.0", decision.WinnerModelVersion);
    }

    [Fact]
    public void A_winner_short_of_the_minimum_improvement_concludes_without_promotion()
    {
        var criteria = new ExperimentCriteria { PlannedDurationSeconds = 60, Success = new SuccessCriteria(MinImprovement: 0.2) };

        var small = Evaluate(criteria, Analysis("winner", "treatment", 0.80, 0.88), Arms(), running: 61);
        Assert.Equal((CriteriaAction.Conclude, "criteria-not-met", (string?)null), (small.Action, small.Outcome, small.Winner));
        Assert.Contains("treatment won but its improvement 10.0 % is below the minimum 20.0 % (successCriteria.minImprovement)", small.Reason);

        var large = Evaluate(criteria, Analysis("winner", "treatment", 0.60, 0.80), Arms(), running: 61);
        Assert.Equal(("winner", "treatment"), (large.Outcome, large.Winner));
    }

    [Fact]
    public void For_a_metric_where_lower_is_better_the_improvement_is_the_fall()
    {
        var success = new SuccessCriteria(MinImprovement: 0.3);
        Assert.Null(ExperimentCriteriaRules.Shortfall(success, Analysis("winner", "treatment", 200, 100), Arms(), "treatment", primaryHigherIsBetter: false));
        Assert.Contains("improvement 10.0 %", ExperimentCriteriaRules.Shortfall(success, Analysis("winner", "treatment", 200, 180), Arms(), "treatment", primaryHigherIsBetter: false));
    }

    [Fact]
    public void A_winner_failing_more_often_or_slower_than_allowed_misses_the_success_criteria()
    {
        var success = new SuccessCriteria(MaxErrorRateIncrease: 0.01, MaxLatencyIncrease: 0.2);
        var analysis = Analysis("winner", "treatment", 0.8, 0.9);

        Assert.Null(ExperimentCriteriaRules.Shortfall(success, analysis, Arms(treatmentErrors: 4, treatmentLatency: 120), "treatment", true));
        var both = ExperimentCriteriaRules.Shortfall(success, analysis, Arms(treatmentErrors: 10, treatmentLatency: 130), "treatment", true)!;
        Assert.Contains("its error rate 5.0 % is more than 1.0 points above the control's 1.0 % (successCriteria.maxErrorRateIncrease)", both);
        Assert.Contains("its latency 130 ms is more than 20 % above the control's 100 ms (successCriteria.maxLatencyIncrease)", both);
        // The control winning promotes nothing: there is nothing to check.
        Assert.Null(ExperimentCriteriaRules.Shortfall(success, Analysis("winner", "control", 0.9, 0.8), Arms(treatmentErrors: 100), "control", true));
    }

    [Fact]
    public void Arm_health_reads_the_phase_aggregates_by_variant()
    {
        AggregateRow[] rows =
        [
            new() { Variant = "control", Metric = MetricCatalog.ErrorRate, Count = 100, Successes = 3 },
            new() { Variant = "control", Metric = MetricCatalog.LatencyMs, Count = 97, Sum = 9700 },
            new() { Variant = "treatment", Metric = MetricCatalog.ErrorRate, Count = 50, Successes = 5 },
        ];
        var arms = ExperimentCriteriaRules.Health(Variants, rows);
        Assert.Equal(new ArmHealth("control", 100, 3, 97, 100), arms[0]);
        Assert.Equal(new ArmHealth("treatment", 50, 5, 0, 0), arms[1]);
        Assert.Equal(0.1, arms[1].ErrorRate, 12);
    }
}
