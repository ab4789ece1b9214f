using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.OpenApi;

namespace DomainPlatform.Experimentation.Apis;

public sealed record SeriesView(string Domain, string Metric, DateTime From, DateTime Until, int ResolutionSeconds, IReadOnlyList<VersionSeries> Versions);

public sealed record SeriesQuery(string? Domain, string? ModelVersion, string? Metric, int? ResolutionSeconds, long? SinceUnixMs, long? UntilUnixMs, string? Format);

public sealed record RankingView(string Metric, bool HigherIsBetter, DateTime WindowStart, DateTime WindowEnd, int WindowSeconds, IReadOnlyList<RankingEntry> Ranking);

public sealed record RankingQuery(string? Metric, int? WindowSeconds, long? UntilUnixMs, bool? StableOnly, string? Format);

/// <summary>Which representation a request asks for: <c>?format=</c> first, else <c>Accept</c> (text/csv, text/html), else JSON.</summary>
public static class Export
{
    public const string Json = "json";
    public const string Csv = "csv";
    public const string Html = "html";
    public const string CsvType = "text/csv";

    public static (string? Format, Dictionary<string, string[]>? Problem) Negotiate(HttpRequest request, string? format, params string[] allowed)
    {
        if (format is not null)
        {
            var asked = format.Trim().ToLowerInvariant();
            return allowed.Contains(asked) ? (asked, null)
                : (null, new() { ["format"] = [$"format is one of {string.Join(", ", allowed)}."] });
        }
        var accept = request.Headers.Accept.ToString();
        if (allowed.Contains(Csv) && accept.Contains(CsvType, StringComparison.OrdinalIgnoreCase)) return (Csv, null);
        if (allowed.Contains(Html) && accept.Contains("text/html", StringComparison.OrdinalIgnoreCase)) return (Html, null);
        return (Json, null);
    }

    /// <summary>Documents the text forms of a 200 beside its JSON (a union's file result carries no content type of its own).</summary>
    public static RouteHandlerBuilder ProducesText(this RouteHandlerBuilder builder, params string[] contentTypes) =>
        builder.AddOpenApiOperationTransformer((operation, context, ct) =>
        {
            if (operation.Responses?.TryGetValue("200", out var response) == true && response is OpenApiResponse ok)
            {
                ok.Content ??= new Dictionary<string, OpenApiMediaType>();
                foreach (var type in contentTypes) ok.Content[type] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
            }
            return Task.CompletedTask;
        });

    public static FileContentHttpResult CsvFile(Csv csv, string name) =>
        TypedResults.File(System.Text.Encoding.UTF8.GetBytes(csv.ToString()), CsvType + "; charset=utf-8", name);
}

public static class SeriesApi
{
    public const int MaxPoints = 2000;
    private const long MaxUnixMs = 253402300799999;

    public static RouteGroupBuilder MapSeriesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/metrics").WithTags("Metrics");
        api.MapGet("/series", Series).WithName("GetMetricSeries")
            .WithSummary("A metric per model version at a resolution, every slot with its sample count, and each series' trend (?domain=, ?metric=, ?modelVersion=, ?resolutionSeconds= multiple of 10, default 60, ?sinceUnixMs= default an hour before until, ?untilUnixMs= default now, at most 2000 points; ?format=csv or Accept: text/csv for CSV)")
            .ProducesText(Export.CsvType);
        api.MapGet("/ranking", Ranking).WithName("GetMetricRanking")
            .WithSummary("Every domain's model versions ranked, best first, by health score or a metric over a window (?metric= health default, ?windowSeconds= multiple of 10, default 3600, ?untilUnixMs= default now, ?stableOnly=true for versions that served as stable; ?format=csv or Accept: text/csv for CSV)")
            .ProducesText(Export.CsvType);
        return api;
    }

    public static async Task<Results<Ok<SeriesView>, FileContentHttpResult, ValidationProblem>> Series([AsParameters] SeriesQuery query, HttpRequest request,
        MetricsReader reader, TimeProvider clock, CancellationToken ct)
    {
        var (format, errors) = Export.Negotiate(request, query.Format, Export.Json, Export.Csv);
        errors ??= [];
        if (WindowApi.DomainProblem(query.Domain) is { } problem) errors["domain"] = [problem];
        if (query.Metric is null || !SeriesMetrics.All.Contains(query.Metric))
            errors["metric"] = [$"metric is one of {string.Join(", ", SeriesMetrics.All)}."];
        var resolution = query.ResolutionSeconds ?? 60;
        if (resolution < 10 || resolution > HealthRules.MaxWindowSeconds || resolution % 10 != 0)
            errors["resolutionSeconds"] = [$"resolutionSeconds is a multiple of 10 (the bucket) from 10 to {HealthRules.MaxWindowSeconds}."];
        if (query.UntilUnixMs is < 0 or > MaxUnixMs) errors["untilUnixMs"] = ["untilUnixMs is a Unix time in milliseconds from 0 to year 9999."];
        if (query.SinceUnixMs is < 0 or > MaxUnixMs) errors["sinceUnixMs"] = ["sinceUnixMs is a Unix time in milliseconds from 0 to year 9999."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var untilAt = query.UntilUnixMs is { } u ? DateTimeOffset.FromUnixTimeMilliseconds(u) : clock.GetUtcNow();
        var sinceAt = query.SinceUnixMs is { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : untilAt.AddHours(-1);
        var from = OutcomeMetrics.FirstBucketFrom(sinceAt);
        var until = OutcomeMetrics.FirstBucketFrom(untilAt);
        if (from >= until) return Invalid("sinceUnixMs", "sinceUnixMs is at least 10 seconds before untilUnixMs.");
        if (Math.Ceiling((until - from).TotalSeconds / resolution) > MaxPoints)
            return Invalid("resolutionSeconds", $"At most {MaxPoints} points per series: raise resolutionSeconds or shorten the range.");
        var versions = await reader.SeriesAsync(query.Domain!, query.ModelVersion, query.Metric!, from, until, resolution, ct);
        var view = new SeriesView(query.Domain!, query.Metric!, from, until, resolution, versions);
        if (format != Export.Csv) return TypedResults.Ok(view);
        var csv = new Csv("domain", "model_version", "metric", "start", "value", "samples");
        foreach (var v in versions)
            foreach (var p in v.Points) csv.Row(view.Domain, v.ModelVersion, view.Metric, p.Start, p.Value, p.Samples);
        return Export.CsvFile(csv, $"series-{view.Metric}.csv");
    }

    public static async Task<Results<Ok<RankingView>, FileContentHttpResult, ValidationProblem>> Ranking([AsParameters] RankingQuery query, HttpRequest request,
        MetricsReader reader, TimeProvider clock, CancellationToken ct)
    {
        var (format, errors) = Export.Negotiate(request, query.Format, Export.Json, Export.Csv);
        errors ??= [];
        var metric = query.Metric ?? MetricRanking.Health;
        if (!MetricRanking.Metrics.Contains(metric)) errors["metric"] = [$"metric is one of {string.Join(", ", MetricRanking.Metrics)}."];
        var window = new WindowQuery("-", null, query.WindowSeconds, query.UntilUnixMs);
        foreach (var (field, messages) in window.Problems(3600)) errors[field] = messages;
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var (from, until, seconds) = window.Window(3600, clock);
        var versions = await reader.VersionsAsync(null, metric, from, until, seconds, ct);
        if (query.StableOnly == true) versions = versions.Where(v => v.Routes.Contains("stable")).ToArray();
        var view = new RankingView(metric, MetricRanking.HigherIsBetter(metric), from, until, seconds, MetricRanking.Rank(versions, metric));
        if (format != Export.Csv) return TypedResults.Ok(view);
        var csv = new Csv("rank", "domain", "model_version", "routes", "metric", "value", "samples", "health_score", "sla_state", "requests",
            "throughput_per_s", "error_rate", "availability", "accuracy", "latency_mean_ms", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms",
            "cost_per_request", "total_cost", "currency");
        foreach (var e in view.Ranking)
        {
            var (v, f) = (e.Version, e.Version.Figures);
            csv.Row(e.Rank, v.Domain, v.ModelVersion, string.Join(';', v.Routes), metric, v.Value, v.Samples, v.HealthScore, v.SlaState, f.Requests,
                f.ThroughputPerSecond, f.ErrorRate, f.Availability, f.Accuracy, f.Latency.MeanMs, f.Latency.P50Ms, f.Latency.P95Ms, f.Latency.P99Ms,
                f.Cost.CostPerRequest, f.Cost.TotalCost, f.Cost.Currency);
        }
        return Export.CsvFile(csv, $"ranking-{metric}.csv");
    }

    private static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}
