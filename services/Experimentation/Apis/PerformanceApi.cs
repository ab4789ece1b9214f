using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Experimentation.Apis;

public sealed record GroupPerformance(string Variant, string ModelVersion, WindowFigures Figures);

public sealed record PerformanceView(string Domain, DateTime WindowStart, DateTime WindowEnd, int WindowSeconds, IReadOnlyList<GroupPerformance> Groups);

/// <summary>The query of a window: a domain, optionally one version, and the window's length and end.</summary>
public sealed record WindowQuery(string? Domain, string? ModelVersion, int? WindowSeconds, long? UntilUnixMs)
{
    public const int MaxWindowSeconds = 30 * 24 * 3600;

    /// <summary>The validation problems, by field; empty when the query is good.</summary>
    public Dictionary<string, string[]> Problems(int defaultWindow)
    {
        var errors = new Dictionary<string, string[]>();
        if (WindowApi.DomainProblem(Domain) is { } domain) errors["domain"] = [domain];
        var seconds = WindowSeconds ?? defaultWindow;
        if (seconds < 10 || seconds > MaxWindowSeconds || seconds % 10 != 0)
            errors["windowSeconds"] = [$"windowSeconds is a multiple of 10 from 10 to {MaxWindowSeconds} (30 days)."];
        if (UntilUnixMs is < 0 or > 253402300799999) errors["untilUnixMs"] = ["untilUnixMs is a Unix time in milliseconds from 0 to year 9999."];
        return errors;
    }

    public (DateTime From, DateTime Until, int Seconds) Window(int defaultWindow, TimeProvider clock)
    {
        var seconds = WindowSeconds ?? defaultWindow;
        var until = UntilUnixMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : clock.GetUtcNow();
        var (from, end) = OutcomeMetrics.WindowEnding(until, seconds);
        return (from, end, seconds);
    }
}

public static class WindowApi
{
    public static string? DomainProblem(string? domain) =>
        string.IsNullOrWhiteSpace(domain) ? "Name the domain: ?domain=..."
        : domain.Length > 128 || domain.Any(char.IsControl) ? "A domain is at most 128 characters, none of them control characters."
        : null;
}

public static class PerformanceApi
{
    public const int DefaultWindowSeconds = 300;

    public static RouteGroupBuilder MapPerformanceApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/metrics").WithTags("Metrics");
        api.MapGet("/performance", Performance).WithName("GetDomainPerformance")
            .WithSummary("Per variant and model version over a window (?domain=, ?modelVersion=, ?windowSeconds= multiple of 10, default 300, ?untilUnixMs= default now): requests, throughput, error rate, availability, accuracy, latency mean and p50/p95/p99 (within 1%), tokens and cost per request");
        return api;
    }

    public static async Task<Results<Ok<PerformanceView>, ValidationProblem>> Performance(
        [AsParameters] WindowQuery query, MetricStore metrics, IOptions<CostOptions> costs, TimeProvider clock, CancellationToken ct)
    {
        if (query.Problems(DefaultWindowSeconds) is { Count: > 0 } errors) return TypedResults.ValidationProblem(errors);
        var (from, until, seconds) = query.Window(DefaultWindowSeconds, clock);
        var domain = query.Domain!;
        var buckets = await metrics.BucketsAsync(domain, query.ModelVersion, from, until, ct);
        var bins = (await metrics.HistogramsAsync(domain, query.ModelVersion, from, until, ct)).ToLookup(b => (b.Variant, b.ModelVersion));
        var prices = costs.Value;
        var groups = buckets.GroupBy(b => (b.Variant, b.ModelVersion)).OrderBy(g => g.Key.ModelVersion, StringComparer.Ordinal).ThenBy(g => g.Key.Variant, StringComparer.Ordinal)
            .Select(g => new GroupPerformance(g.Key.Variant, g.Key.ModelVersion,
                WindowSummary.Summarise(g, bins[g.Key], seconds, prices.PriceFor(domain, g.Key.ModelVersion), prices.Currency)))
            .ToArray();
        return TypedResults.Ok(new PerformanceView(domain, from, until, seconds, groups));
    }
}
