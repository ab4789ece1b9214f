using System.ComponentModel.DataAnnotations;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using DomainPlatform.Statistics;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Experimentation.Apis;

public sealed record AnalysisView(
    Guid ExperimentId,
    [property: AllowedValues(ExperimentStatus.Draft, ExperimentStatus.Running, ExperimentStatus.Stopped, ExperimentStatus.Concluded, ExperimentStatus.RolledBack)] string Status,
    int Phase,
    string Method,
    string Outcome,
    string? Winner,
    string? WinnerModelVersion,
    string Reason,
    bool MinimumDurationReached,
    long RequiredSamplesPerVariant,
    IReadOnlyList<VariantFigures> Variants,
    SampleRatioResult? SampleRatio,
    IReadOnlyList<MetricComparison> Comparisons,
    IReadOnlyList<PooledComparison> PooledAcrossPhases,
    IReadOnlyList<VariantPosterior> Posteriors)
{
    public static AnalysisView From(ExperimentRow row, AnalysisResult r) => new(row.Id, row.Status, row.Phase, row.Method, r.Outcome, r.Winner,
        r.WinnerModelVersion, r.Reason, r.MinimumDurationReached, r.Decision.RequiredSamplesPerVariant, r.Variants, r.Decision.SampleRatio, r.Decision.Comparisons,
        r.PooledAcrossPhases, r.Posteriors);
}

public sealed record ConcludeRequest(bool? Force, string? Reason);

public static class AnalysisApi
{
    public static RouteGroupBuilder MapAnalysisApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/experiments").WithTags("Experiments");
        api.MapGet("/{id:guid}/analysis", Analyze).WithName("AnalyzeExperiment")
            .WithSummary("Analyse the current phase: SRM check, per-variant figures, corrected p-values, Bayesian probabilities or always-valid p-values, and the decision with its reason")
            .WithDescription("For sequential experiments every call is a look: the always-valid p-value is the running minimum over looks.");
        api.MapPost("/{id:guid}/conclude", Conclude).WithName("ConcludeExperiment")
            .WithSummary("Conclude a running experiment: with a winner only when the asked confidence is reached (else 409), or with {\"force\": true} without one; publishes ExperimentConcluded");
        return api;
    }

    public static async Task<Results<Ok<AnalysisView>, ProblemHttpResult>> Analyze(Guid id, ExperimentAnalyzer analyzer, CancellationToken ct)
    {
        try
        {
            if (await analyzer.AnalyzeAsync(id, ct) is not { } analysed) return ExperimentsApi.NotFound(id);
            if (analysed.Experiment.Status == ExperimentStatus.Draft) return ExperimentsApi.Conflict("A draft experiment has no data to analyse; start it first.");
            return TypedResults.Ok(AnalysisView.From(analysed.Experiment, analysed.Result));
        }
        catch (ArgumentException ex)
        {
            return CannotAnalyse(ex);
        }
    }

    public static async Task<Results<Ok<AnalysisView>, ProblemHttpResult>> Conclude(
        Guid id, ConcludeRequest? request, ExperimentAnalyzer analyzer, ExperimentStore store, MetricStore metrics, CancellationToken ct)
    {
        (ExperimentRow Experiment, AnalysisResult Result) analysed;
        try
        {
            if (await analyzer.AnalyzeAsync(id, ct) is not { } found) return ExperimentsApi.NotFound(id);
            analysed = found;
        }
        catch (ArgumentException ex)
        {
            return CannotAnalyse(ex);
        }

        var result = analysed.Result;
        var force = request?.Force ?? false;
        // A winner that misses the experiment's success criteria is no winner to promote.
        var shortfall = result is { Outcome: AnalysisOutcomes.Winner, Winner: { } winner }
            ? ExperimentCriteriaRules.Shortfall(analysed.Experiment.Criteria.Success, result,
                ExperimentCriteriaRules.Health(analysed.Experiment.Variants, await metrics.ForExperimentAsync(id, analysed.Experiment.Phase, ct)),
                winner, MetricCatalog.Find(analysed.Experiment.PrimaryMetric)?.HigherIsBetter ?? true)
            : null;
        if (shortfall is not null)
        {
            result = result with
            {
                Outcome = ExperimentCriteriaRules.CriteriaNotMet, Winner = null, WinnerModelVersion = null,
                Reason = $"{analysed.Result.Winner} won but {shortfall} ({analysed.Result.Reason})",
            };
        }
        var mutation = await store.MutateAsync(id, (row, _) =>
        {
            if (ExperimentRules.Refusal(row.Status, "conclude") is { } why) return ChangeDecision.Refuse(why);
            if (row.Phase != analysed.Experiment.Phase) return ChangeDecision.Refuse("A new phase started during the analysis; conclude again.");
            if (shortfall is not null && !force)
            {
                return ChangeDecision.Refuse($"The success criteria are not met, so there is no winner to conclude with: {result.Reason} " +
                    "Conclude with {\"force\": true} to end it without a winner.");
            }
            if (result.Outcome != AnalysisOutcomes.Winner && !force)
            {
                return ChangeDecision.Refuse($"The asked confidence ({1 - row.Alpha:P0}) is not reached, so there is no winner to conclude with: {result.Reason} " +
                    "Conclude with {\"force\": true} to end it without a winner.");
            }
            var outcome = result.Outcome == AnalysisOutcomes.Winner ? AnalysisOutcomes.Winner
                : result.Outcome == AnalysisOutcomes.Continue ? "inconclusive" : result.Outcome;
            var reason = string.IsNullOrWhiteSpace(request?.Reason) ? result.Reason : $"{request.Reason.Trim()} ({result.Reason})";
            return new ExperimentChange("concluded", reason)
            {
                Status = ExperimentStatus.Concluded, Outcome = outcome, Winner = result.Winner, Reason = reason,
                Events = [new ExperimentConcluded(row.Id, row.Domain, outcome, result.Winner, result.WinnerModelVersion,
                    row.DeployWinner && result.Winner is not null, reason)],
            };
        }, ct);
        return mutation.Status switch
        {
            MutationStatus.Done => TypedResults.Ok(AnalysisView.From(mutation.Experiment!, result)),
            MutationStatus.NotFound => ExperimentsApi.NotFound(id),
            _ => ExperimentsApi.Conflict(mutation.Refusal),
        };
    }

    private static ProblemHttpResult CannotAnalyse(ArgumentException ex) =>
        TypedResults.Problem(title: "Cannot analyse", detail: ex.Message, statusCode: StatusCodes.Status422UnprocessableEntity);
}
