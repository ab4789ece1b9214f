using DomainPlatform.Experimentation.Domain;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Experimentation.Data;

public sealed record VersionHealth(string ModelVersion, double? Score, string State, IReadOnlyList<HealthComponent> Components,
    IReadOnlyList<SlaBreach> Breaches, WindowFigures Figures);

public sealed record TrendPoint(DateTime Start, double? Score, string State, long Requests, double? ErrorRate, double? Availability, double? P95Ms, double? Accuracy);

public sealed record VersionTrend(string ModelVersion, IReadOnlyList<TrendPoint> Points);

/// <summary>Reads a domain's buckets and judges each model version against SLA targets (Domain/HealthRules), over a window or per slot of a trend.</summary>
public sealed class HealthAnalyzer(MetricStore metrics, IOptions<CostOptions> costs, IOptions<HealthOptions> health, IOptions<MonitoringOptions> monitoring)
{
    public async Task<IReadOnlyList<VersionHealth>> AssessAsync(string domain, string? modelVersion, SlaTargets targets,
        DateTime from, DateTime until, int seconds, CancellationToken ct)
    {
        var buckets = await metrics.BucketsAsync(domain, modelVersion, from, until, ct);
        var bins = (await metrics.HistogramsAsync(domain, modelVersion, from, until, ct)).ToLookup(b => b.ModelVersion);
        return buckets.Where(b => b.ModelVersion.Length > 0).GroupBy(b => b.ModelVersion).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var figures = Summarise(domain, g.Key, g, bins[g.Key], seconds);
                var judged = HealthRules.Assess(figures, targets, health.Value, monitoring.Value.MinimumSamples);
                return new VersionHealth(g.Key, judged.Score, judged.State, judged.Components, judged.Breaches, figures);
            })
            .ToArray();
    }

    /// <summary>Each version's score per slot of <paramref name="resolutionSeconds"/> from <paramref name="from"/>, slots with outcomes only.</summary>
    public async Task<IReadOnlyList<VersionTrend>> TrendAsync(string domain, string? modelVersion, SlaTargets targets,
        DateTime from, DateTime until, int resolutionSeconds, CancellationToken ct)
    {
        var width = TimeSpan.FromSeconds(resolutionSeconds);
        DateTime SlotOf(DateTime bucket) => from + (bucket - from).Ticks / width.Ticks * width;
        var buckets = await metrics.BucketsAsync(domain, modelVersion, from, until, ct);
        var bins = (await metrics.HistogramsAsync(domain, modelVersion, from, until, ct)).ToLookup(b => (b.ModelVersion, SlotOf(b.Bucket)));
        return buckets.Where(b => b.ModelVersion.Length > 0).GroupBy(b => b.ModelVersion).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(version => new VersionTrend(version.Key, version.GroupBy(b => SlotOf(b.Bucket)).OrderBy(s => s.Key).Select(slot =>
            {
                var f = Summarise(domain, version.Key, slot, bins[(version.Key, slot.Key)], resolutionSeconds);
                var judged = HealthRules.Assess(f, targets, health.Value, monitoring.Value.MinimumSamples);
                return new TrendPoint(slot.Key, judged.Score, judged.State, f.Requests, f.ErrorRate, f.Availability, f.Latency.P95Ms, f.Accuracy);
            }).ToArray()))
            .ToArray();
    }

    private WindowFigures Summarise(string domain, string version, IEnumerable<BucketCounts> buckets, IEnumerable<HistogramCount> bins, int seconds) =>
        WindowSummary.Summarise(buckets, bins, seconds, costs.Value.PriceFor(domain, version), costs.Value.Currency);
}
