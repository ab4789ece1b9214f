using System.ComponentModel.DataAnnotations;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Experimentation.Apis;

/// <summary>An experiment as clients see it.</summary>
public sealed record ExperimentView(
    Guid Id, string Name, string Domain,
    [property: AllowedValues(ExperimentStatus.Draft, ExperimentStatus.Running, ExperimentStatus.Stopped, ExperimentStatus.Concluded, ExperimentStatus.RolledBack)] string Status,
    IReadOnlyList<Variant> Variants, string PrimaryMetric,
    IReadOnlyList<Guardrail> GuardrailMetrics, double MinimumDetectableEffect, double Alpha, double Power, long MinSamples,
    long MinDurationSeconds, string AnalysisMethod, string Correction, bool DeployWinner, bool StopOnGuardrail, int Phase,
    string? Outcome, string? WinnerVariant, string? Reason, int Revision, DateTime CreatedAt, DateTime? StartedAt, DateTime? EndedAt,
    SuccessCriteria SuccessCriteria, FailureCriteria FailureCriteria, long? PlannedDurationSeconds)
{
    public static ExperimentView From(ExperimentRow r)
    {
        var criteria = r.Criteria;
        return new(r.Id, r.Name, r.Domain, r.Status, r.Variants, r.PrimaryMetric, r.Guardrails,
            r.MinimumDetectableEffect, r.Alpha, r.Power, r.MinSamples, r.MinDurationSeconds, r.Method, r.Correction, r.DeployWinner,
            r.StopOnGuardrail, r.Phase, r.Outcome, r.WinnerVariant, r.Reason, r.Revision, r.CreatedAt, r.StartedAt, r.EndedAt,
            criteria.Success, criteria.Failure, criteria.PlannedDurationSeconds);
    }
}

public sealed record ExperimentStatusView(
    Guid Id, string Domain,
    [property: AllowedValues(ExperimentStatus.Draft, ExperimentStatus.Running, ExperimentStatus.Stopped, ExperimentStatus.Concluded, ExperimentStatus.RolledBack)] string Status,
    int Phase, DateTime? PhaseStartedAt, IReadOnlyList<Variant> Variants,
    DateTime? StartedAt, DateTime? EndedAt, double? RunningSeconds, string? Outcome, string? WinnerVariant, string? Reason);

public sealed record ExperimentHistoryView(Guid Id, IReadOnlyList<PhaseRow> Phases, IReadOnlyList<HistoryRow> Events);

public sealed record StopRequest(string? Reason);

public sealed record WeightsRequest([property: Required] IReadOnlyDictionary<string, double>? Weights, string? Reason);

public static class ExperimentsApi
{
    public static RouteGroupBuilder MapExperimentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/experiments").WithTags("Experiments");

        api.MapGet("/", ListExperiments).WithName("ListExperiments")
            .WithSummary("List experiments, newest first, optionally by status and domain");
        api.MapGet("/{id:guid}", GetExperiment).WithName("GetExperiment")
            .WithSummary("Get one experiment: design, variants with current weights, status and phase (Aphrodite: config)");
        api.MapPost("/", CreateExperiment).WithName("CreateExperiment")
            .WithSummary("Create an A/B/n experiment as a draft")
            .WithDescription("Two or more variants, control first, each with a model version and a weight (absent weights split evenly). " +
                "Primary metric and guardrails from: " + MetricCatalog.Names + ". Analysis method frequentist|bayesian|sequential, correction holm|bh.");
        api.MapPost("/{id:guid}/start", StartExperiment).WithName("StartExperiment")
            .WithSummary("Start a draft experiment: phase 1 begins and the gateway starts splitting traffic (Aphrodite: start)");
        api.MapPost("/{id:guid}/stop", StopExperiment).WithName("StopExperiment")
            .WithSummary("Stop a running experiment without a decision (Aphrodite: stop)");
        api.MapPost("/{id:guid}/rollback", RollbackExperiment).WithName("RollbackExperiment")
            .WithSummary("Emergency rollback: all traffic to the control at once, and the experiment ends (Aphrodite: rollback)");
        api.MapPut("/{id:guid}/weights", ChangeWeights).WithName("ChangeExperimentWeights")
            .WithSummary("Change the traffic split; on a running experiment a new analysis phase starts (Aphrodite: traffic-split)");
        api.MapGet("/{id:guid}/status", GetStatus).WithName("GetExperimentStatus")
            .WithSummary("Status, current phase and weights, running time and outcome (Aphrodite: status)");
        api.MapGet("/{id:guid}/history", GetHistory).WithName("GetExperimentHistory")
            .WithSummary("Phases and every action taken on the experiment, oldest first (Aphrodite: history)");
        return api;
    }

    public static async Task<Results<Ok<IReadOnlyList<ExperimentView>>, ValidationProblem>> ListExperiments(
        string? status, string? domain, ExperimentStore store, CancellationToken ct)
    {
        string? error = null;
        var canonical = status is null ? null : FilterValues.Canonical(status, ExperimentStatus.All, out error);
        if (error is not null) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["status"] = [error] });
        return TypedResults.Ok<IReadOnlyList<ExperimentView>>((await store.ListAsync(canonical, domain, ct)).Select(ExperimentView.From).ToArray());
    }

    public static async Task<Results<Ok<ExperimentView>, ProblemHttpResult>> GetExperiment(Guid id, ExperimentStore store, CancellationToken ct) =>
        await store.FindAsync(id, ct) is { } experiment ? TypedResults.Ok(ExperimentView.From(experiment)) : NotFound(id);

    public static async Task<Results<Created<ExperimentView>, ValidationProblem>> CreateExperiment(
        CreateExperimentRequest request, ExperimentStore store, CancellationToken ct)
    {
        var (spec, errors) = ExperimentRules.Validate(request);
        if (spec is null) return TypedResults.ValidationProblem(errors);
        var created = await store.CreateAsync(spec, ct);
        return TypedResults.Created($"/api/experiments/{created.Id}", ExperimentView.From(created));
    }

    public static Task<Results<Ok<ExperimentView>, ProblemHttpResult>> StartExperiment(Guid id, ExperimentStore store, CancellationToken ct) =>
        Mutate(store, id, (row, _) => ExperimentRules.Refusal(row.Status, "start") is { } why
            ? ChangeDecision.Refuse(why)
            : new ExperimentChange("started", $"phase 1 with weights {Weights(row.Variants)}") { Status = ExperimentStatus.Running }, ct);

    public static Task<Results<Ok<ExperimentView>, ProblemHttpResult>> StopExperiment(Guid id, StopRequest? request, ExperimentStore store, CancellationToken ct) =>
        Mutate(store, id, (row, _) =>
        {
            if (ExperimentRules.Refusal(row.Status, "stop") is { } why) return ChangeDecision.Refuse(why);
            var reason = string.IsNullOrWhiteSpace(request?.Reason) ? "stopped by request" : request.Reason.Trim();
            return new ExperimentChange("stopped", reason)
            {
                Status = ExperimentStatus.Stopped, Outcome = "stopped", Reason = reason,
                Events = [new ExperimentConcluded(row.Id, row.Domain, "stopped", null, null, false, reason)],
            };
        }, ct);

    public static Task<Results<Ok<ExperimentView>, ProblemHttpResult>> RollbackExperiment(Guid id, StopRequest? request, ExperimentStore store, CancellationToken ct) =>
        Mutate(store, id, (row, _) =>
        {
            if (ExperimentRules.Refusal(row.Status, "rollback") is { } why) return ChangeDecision.Refuse(why);
            var reason = string.IsNullOrWhiteSpace(request?.Reason) ? "emergency rollback by request" : request.Reason.Trim();
            return RollbackChange(row, reason);
        }, ct);

    public static async Task<Results<Ok<ExperimentView>, ValidationProblem, ProblemHttpResult>> ChangeWeights(
        Guid id, WeightsRequest request, ExperimentStore store, CancellationToken ct)
    {
        Dictionary<string, string[]>? errors = null;
        var result = await store.MutateAsync(id, (row, _) =>
        {
            if (ExperimentRules.Refusal(row.Status, "weights") is { } why) return ChangeDecision.Refuse(why);
            var (variants, problems) = ExperimentRules.ChangeWeights(row.Variants, request.Weights);
            if (variants is null)
            {
                errors = problems;
                return ChangeDecision.Refuse("invalid weights");
            }
            var reason = string.IsNullOrWhiteSpace(request.Reason) ? "weights changed" : request.Reason.Trim();
            return new ExperimentChange("weights-changed", $"{reason}: {Weights(variants)}") { Variants = variants };
        }, ct);
        if (errors is not null) return TypedResults.ValidationProblem(errors);
        return result.Status switch
        {
            MutationStatus.Done => TypedResults.Ok(ExperimentView.From(result.Experiment!)),
            MutationStatus.NotFound => NotFound(id),
            _ => Conflict(result.Refusal),
        };
    }

    public static async Task<Results<Ok<ExperimentStatusView>, ProblemHttpResult>> GetStatus(Guid id, ExperimentStore store, CancellationToken ct)
    {
        if (await store.FindAsync(id, ct) is not { } row) return NotFound(id);
        var phases = await store.PhasesAsync(id, ct);
        var current = phases.LastOrDefault();
        double? running = row.StartedAt is { } started ? ((row.EndedAt ?? DateTime.UtcNow) - started).TotalSeconds : null;
        return TypedResults.Ok(new ExperimentStatusView(row.Id, row.Domain, row.Status, row.Phase, current?.StartedAt, row.Variants,
            row.StartedAt, row.EndedAt, running, row.Outcome, row.WinnerVariant, row.Reason));
    }

    public static async Task<Results<Ok<ExperimentHistoryView>, ProblemHttpResult>> GetHistory(Guid id, ExperimentStore store, CancellationToken ct)
    {
        if (await store.FindAsync(id, ct) is null) return NotFound(id);
        return TypedResults.Ok(new ExperimentHistoryView(id, await store.PhasesAsync(id, ct), await store.HistoryAsync(id, ct)));
    }

    /// <summary>All traffic to control, the experiment ends and deployment hears of it; shared by the API and the guardrail monitor.</summary>
    internal static ExperimentChange RollbackChange(ExperimentRow row, string reason) =>
        new("rolled-back", reason)
        {
            Status = ExperimentStatus.RolledBack, Variants = ExperimentRules.AllToControl(row.Variants), Outcome = "rolled-back", Reason = reason,
            Events = [new ExperimentConcluded(row.Id, row.Domain, "rolled-back", null, null, false, reason)],
        };

    internal static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(title: "Experiment not found", detail: $"No experiment has the id '{id}'.", statusCode: StatusCodes.Status404NotFound);

    internal static Results<Ok<ExperimentView>, ProblemHttpResult> ToResult(MutationResult result, Guid id) => result.Status switch
    {
        MutationStatus.Done => TypedResults.Ok(ExperimentView.From(result.Experiment!)),
        MutationStatus.NotFound => NotFound(id),
        _ => Conflict(result.Refusal),
    };

    internal static ProblemHttpResult Conflict(string? why) =>
        TypedResults.Problem(title: "Not allowed now", detail: why, statusCode: StatusCodes.Status409Conflict);

    private static async Task<Results<Ok<ExperimentView>, ProblemHttpResult>> Mutate(
        ExperimentStore store, Guid id, Func<ExperimentRow, DateTime, ChangeDecision> decide, CancellationToken ct) =>
        ToResult(await store.MutateAsync(id, decide, ct), id);

    private static string Weights(IEnumerable<Variant> variants) =>
        string.Join(", ", variants.Select(v => FormattableString.Invariant($"{v.Name}={v.Weight:0.##}%")));
}
