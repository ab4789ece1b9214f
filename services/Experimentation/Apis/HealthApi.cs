using System.ComponentModel.DataAnnotations;
using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Experimentation.Apis;

/// <summary>SLA targets of a domain: latency p95 (ms), error rate and availability, optionally accuracy, over a window (seconds).</summary>
public sealed record SlaRequest(
    [property: Required, Range(0, HealthRules.MaxLatencyMs, MinimumIsExclusive = true)] double? LatencyP95Ms,
    [property: Required, Range(0, 1, MaximumIsExclusive = true)] double? MaxErrorRate,
    [property: Required, Range(0, 1, MinimumIsExclusive = true)] double? MinAvailability,
    [property: Range(0, 1)] double? MinAccuracy,
    [property: Range(10, HealthRules.MaxWindowSeconds)] int? WindowSeconds);

/// <summary>A domain's targets; <see cref="IsDefault"/> when it has none of its own (the Health: defaults, which raise no violations).</summary>
public sealed record SlaView(string Domain, double LatencyP95Ms, double MaxErrorRate, double MinAvailability, double? MinAccuracy, int WindowSeconds,
    bool IsDefault, DateTime? UpdatedAt)
{
    public static SlaView From(SlaRow r) => new(r.Domain, r.LatencyP95Ms, r.MaxErrorRate, r.MinAvailability, r.MinAccuracy, r.WindowSeconds, false, r.UpdatedAt);

    public static SlaView Default(string domain, SlaTargets t) => new(domain, t.LatencyP95Ms, t.MaxErrorRate, t.MinAvailability, t.MinAccuracy, t.WindowSeconds, true, null);

    public SlaTargets Targets => new(LatencyP95Ms, MaxErrorRate, MinAvailability, MinAccuracy, WindowSeconds);
}

public sealed record HealthView(string Domain, SlaView Sla, DateTime WindowStart, DateTime WindowEnd, int WindowSeconds, IReadOnlyList<VersionHealth> Versions);

public sealed record HealthTrendView(string Domain, SlaView Sla, DateTime From, DateTime Until, int ResolutionSeconds, IReadOnlyList<VersionTrend> Versions);

public sealed record TrendQuery(string? Domain, string? ModelVersion, long? SinceUnixMs, long? UntilUnixMs, int? ResolutionSeconds);

public sealed record ViolationQuery(string? Domain, string? ModelVersion, bool? Open, int? Limit);

public static class HealthApi
{
    public const int MaxTrendPoints = 2000;

    public static RouteGroupBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Health");
        api.MapGet("/metrics/health", Health).WithName("GetDomainHealth")
            .WithSummary("Each model version's health score (0-100) and SLA state over the SLA's window (?domain=, ?modelVersion=, ?windowSeconds=, ?untilUnixMs= default now), with its parts, breaches and figures");
        api.MapGet("/metrics/health/trend", Trend).WithName("GetDomainHealthTrend")
            .WithSummary("Each model version's health score per slot (?domain=, ?modelVersion=, ?sinceUnixMs= default an hour before until, ?untilUnixMs= default now, ?resolutionSeconds= multiple of 10, default 60, at most 2000 slots)");
        api.MapGet("/alerts/sla", async (HealthStore store, CancellationToken ct) => TypedResults.Ok<IReadOnlyList<SlaView>>((await store.ListSlasAsync(ct)).Select(SlaView.From).ToArray()))
            .WithName("ListSlas").WithSummary("The domains with SLA targets of their own");
        api.MapGet("/alerts/sla/{domain}", GetSla).WithName("GetSla")
            .WithSummary("A domain's SLA targets (the Health: defaults, isDefault true, when it has none)");
        api.MapPut("/alerts/sla/{domain}", PutSla).WithName("PutSla")
            .WithSummary("Set a domain's SLA targets; the monitor then records violations and raises alerts")
            .WithDescription("latencyP95Ms (ms, above 0, at most 3600000), maxErrorRate ([0, 1)) and minAvailability ((0, 1]) are required; minAccuracy ([0, 1]) " +
                "and windowSeconds (a multiple of 10 from 10 to 86400, default Health:DefaultWindowSeconds) are optional. A bad value is a 400 naming the field.");
        api.MapDelete("/alerts/sla/{domain}", DeleteSla).WithName("DeleteSla")
            .WithSummary("Remove a domain's SLA targets (its open violations stay open, no longer watched)");
        api.MapGet("/alerts/sla-violations", Violations).WithName("ListSlaViolations")
            .WithSummary("SLA violations, newest first (?domain=, ?modelVersion=, ?open=true|false, ?limit= up to 1000, default 100), each with its figures, reason and alert");
        return api;
    }

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    private static async Task<SlaView> SlaOfAsync(string domain, HealthStore store, HealthOptions options, CancellationToken ct) =>
        await store.FindSlaAsync(domain, ct) is { } own ? SlaView.From(own) : SlaView.Default(domain, options.Defaults);

    public static async Task<Results<Ok<SlaView>, ValidationProblem>> GetSla(string domain, HealthStore store, IOptions<HealthOptions> options, CancellationToken ct)
    {
        if (WindowApi.DomainProblem(domain) is { } problem) return Invalid("domain", problem);
        return TypedResults.Ok(await SlaOfAsync(domain, store, options.Value, ct));
    }

    public static async Task<Results<Ok<SlaView>, ValidationProblem>> PutSla(string domain, SlaRequest request, HealthStore store, IOptions<HealthOptions> options, CancellationToken ct)
    {
        var errors = HealthRules.Problems(request.LatencyP95Ms, request.MaxErrorRate, request.MinAvailability, request.MinAccuracy, request.WindowSeconds);
        if (WindowApi.DomainProblem(domain) is { } problem) errors["domain"] = [problem];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var targets = new SlaTargets(request.LatencyP95Ms!.Value, request.MaxErrorRate!.Value, request.MinAvailability!.Value, request.MinAccuracy,
            request.WindowSeconds ?? options.Value.DefaultWindowSeconds);
        return TypedResults.Ok(SlaView.From(await store.PutSlaAsync(domain, targets, ct)));
    }

    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DeleteSla(string domain, HealthStore store, CancellationToken ct)
    {
        if (WindowApi.DomainProblem(domain) is { } problem) return Invalid("domain", problem);
        return await store.DeleteSlaAsync(domain, ct)
            ? TypedResults.NoContent()
            : TypedResults.Problem(title: "SLA not found", detail: $"The domain '{domain}' has no SLA targets of its own.", statusCode: StatusCodes.Status404NotFound);
    }

    public static async Task<Results<Ok<HealthView>, ValidationProblem>> Health([AsParameters] WindowQuery query, HealthStore store, HealthAnalyzer analyzer,
        IOptions<HealthOptions> options, TimeProvider clock, CancellationToken ct)
    {
        if (WindowApi.DomainProblem(query.Domain) is { } problem) return Invalid("domain", problem);
        var sla = await SlaOfAsync(query.Domain!, store, options.Value, ct);
        if (query.Problems(sla.WindowSeconds) is { Count: > 0 } errors) return TypedResults.ValidationProblem(errors);
        var (from, until, seconds) = query.Window(sla.WindowSeconds, clock);
        var versions = await analyzer.AssessAsync(query.Domain!, query.ModelVersion, sla.Targets with { WindowSeconds = seconds }, from, until, seconds, ct);
        return TypedResults.Ok(new HealthView(query.Domain!, sla, from, until, seconds, versions));
    }

    public static async Task<Results<Ok<HealthTrendView>, ValidationProblem>> Trend([AsParameters] TrendQuery query, HealthStore store, HealthAnalyzer analyzer,
        IOptions<HealthOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (WindowApi.DomainProblem(query.Domain) is { } problem) errors["domain"] = [problem];
        var resolution = query.ResolutionSeconds ?? 60;
        if (resolution < 10 || resolution > HealthRules.MaxWindowSeconds || resolution % 10 != 0)
            errors["resolutionSeconds"] = [$"resolutionSeconds is a multiple of 10 from 10 to {HealthRules.MaxWindowSeconds}."];
        const long maxMs = 253402300799999;
        if (query.UntilUnixMs is < 0 or > maxMs) errors["untilUnixMs"] = ["untilUnixMs is a Unix time in milliseconds from 0 to year 9999."];
        if (query.SinceUnixMs is < 0 or > maxMs) errors["sinceUnixMs"] = ["sinceUnixMs is a Unix time in milliseconds from 0 to year 9999."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var untilAt = query.UntilUnixMs is { } u ? DateTimeOffset.FromUnixTimeMilliseconds(u) : clock.GetUtcNow();
        var sinceAt = query.SinceUnixMs is { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : untilAt.AddHours(-1);
        var from = OutcomeMetrics.FirstBucketFrom(sinceAt);
        var until = OutcomeMetrics.FirstBucketFrom(untilAt);
        if (from >= until) return Invalid("sinceUnixMs", "sinceUnixMs is at least 10 seconds before untilUnixMs.");
        if ((until - from).TotalSeconds / resolution > MaxTrendPoints)
            return Invalid("resolutionSeconds", $"At most {MaxTrendPoints} slots: raise resolutionSeconds or shorten the range.");
        var sla = await SlaOfAsync(query.Domain!, store, options.Value, ct);
        var versions = await analyzer.TrendAsync(query.Domain!, query.ModelVersion, sla.Targets with { WindowSeconds = resolution }, from, until, resolution, ct);
        return TypedResults.Ok(new HealthTrendView(query.Domain!, sla, from, until, resolution, versions));
    }

    public static async Task<Results<Ok<IReadOnlyList<SlaViolationRow>>, ValidationProblem>> Violations([AsParameters] ViolationQuery query, HealthStore store, CancellationToken ct)
    {
        if (query.Limit is < 1 or > 1000) return Invalid("limit", "limit is between 1 and 1000.");
        return TypedResults.Ok(await store.ViolationsAsync(query.Domain, query.ModelVersion, query.Open, query.Limit ?? 100, ct));
    }
}
