using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DomainPlatform.Experimentation.Apis;

/// <summary>One metric of one group: count, mean and standard deviation, and for rates the successes and rate.</summary>
public sealed record MetricView(string Variant, string ModelVersion, string Metric, long Count, double Mean, double StandardDeviation, long Successes, double Rate)
{
    public static MetricView From(AggregateRow r)
    {
        var variance = r.Count > 1 ? Math.Max(0, (r.SumSquares - r.Sum * r.Sum / r.Count) / (r.Count - 1)) : 0;
        return new MetricView(r.Variant, r.ModelVersion, r.Metric, r.Count, r.Mean, Math.Sqrt(variance), r.Successes,
            r.Count > 0 ? (double)r.Successes / r.Count : 0);
    }
}

public sealed record ExperimentMetricsView(Guid ExperimentId, int Phase, IReadOnlyList<MetricView> Metrics);

public static class MetricsApi
{
    public static RouteGroupBuilder MapMetricsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Metrics");
        api.MapGet("/experiments/{id:guid}/metrics", ExperimentMetrics).WithName("GetExperimentMetrics")
            .WithSummary("Aggregated metrics of an experiment's phase (the current one unless ?phase= is given), by variant");
        api.MapGet("/metrics", DomainMetrics).WithName("GetDomainMetrics")
            .WithSummary("A domain's aggregated metrics by model version, all traffic, since an instant (?sinceUnixMs=, default the last hour)");
        api.MapGet("/metrics/catalog", () => TypedResults.Ok(MetricCatalog.All)).WithName("GetMetricCatalog")
            .WithSummary("The metrics the service aggregates, their kind and which way is better");
        return api;
    }

    public static async Task<Results<Ok<ExperimentMetricsView>, ProblemHttpResult>> ExperimentMetrics(
        Guid id, int? phase, ExperimentStore experiments, MetricStore metrics, CancellationToken ct)
    {
        if (await experiments.FindAsync(id, ct) is not { } experiment) return ExperimentsApi.NotFound(id);
        var chosen = phase ?? experiment.Phase;
        var rows = await metrics.ForExperimentAsync(id, chosen, ct);
        return TypedResults.Ok(new ExperimentMetricsView(id, chosen, rows.Select(MetricView.From).ToArray()));
    }

    public static async Task<Results<Ok<IReadOnlyList<MetricView>>, ValidationProblem>> DomainMetrics(
        string? domain, string? modelVersion, long? sinceUnixMs, MetricStore metrics, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(domain)) return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["domain"] = ["Name the domain: ?domain=..."] });
        var since = sinceUnixMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : DateTimeOffset.UtcNow.AddHours(-1);
        var rows = await metrics.ForVersionsAsync(domain, modelVersion is null ? null : [modelVersion], OutcomeMetrics.FirstBucketFrom(since), ct);
        return TypedResults.Ok<IReadOnlyList<MetricView>>(rows.Select(MetricView.From).ToArray());
    }
}
