using DomainPlatform.Experimentation.Domain;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Experimentation.Data;

public sealed record VersionSeries(string ModelVersion, IReadOnlyList<SeriesPoint> Points, SeriesTrend Trend);

/// <summary>Reads buckets and histograms and hands them to the pure series, ranking and health rules, per model version (its variants merged).</summary>
public sealed class MetricsReader(MetricStore metrics, HealthStore health, IOptions<CostOptions> costs, IOptions<HealthOptions> healthOptions,
    IOptions<MonitoringOptions> monitoring)
{
    /// <summary>Each model version's series of <paramref name="metric"/> in [from, until), with its trend.</summary>
    public async Task<IReadOnlyList<VersionSeries>> SeriesAsync(string domain, string? modelVersion, string metric, DateTime from, DateTime until,
        int resolutionSeconds, CancellationToken ct)
    {
        var buckets = await metrics.BucketsAsync(domain, modelVersion, from, until, ct);
        var bins = (await metrics.HistogramsAsync(domain, modelVersion, from, until, ct)).ToLookup(b => b.ModelVersion);
        return SeriesOf(domain, buckets, bins, metric, from, until, resolutionSeconds);
    }

    public IReadOnlyList<VersionSeries> SeriesOf(string domain, IEnumerable<BucketCounts> buckets, ILookup<string, HistogramCount> bins, string metric,
        DateTime from, DateTime until, int resolutionSeconds) =>
        buckets.Where(b => b.ModelVersion.Length > 0).GroupBy(b => b.ModelVersion).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var points = MetricSeries.Build(g, bins[g.Key], from, until, resolutionSeconds, metric, costs.Value.PriceFor(domain, g.Key), costs.Value.Currency);
                return new VersionSeries(g.Key, points, MetricSeries.Trend(points, SeriesMetrics.HigherIsBetter(metric)));
            })
            .ToArray();

    /// <summary>Every domain's (or one domain's) model versions over the window: health against the domain's SLA, figures and the metric's value.</summary>
    public async Task<IReadOnlyList<RankedVersion>> VersionsAsync(string? domain, string metric, DateTime from, DateTime until, int seconds, CancellationToken ct)
    {
        var buckets = await metrics.BucketsAsync(domain, null, from, until, ct);
        var bins = (await metrics.HistogramsAsync(domain, null, from, until, ct)).ToLookup(b => (b.Domain, b.ModelVersion));
        return VersionsOf(buckets, bins, await SlasAsync(ct), metric, seconds);
    }

    public async Task<IReadOnlyDictionary<string, SlaTargets>> SlasAsync(CancellationToken ct) =>
        (await health.ListSlasAsync(ct)).ToDictionary(s => s.Domain, s => s.Targets);

    /// <summary>A domain's targets (the Health: defaults when it has none) over a window of <paramref name="seconds"/>.</summary>
    public SlaTargets TargetsOf(IReadOnlyDictionary<string, SlaTargets> slas, string domain, int seconds) =>
        (slas.GetValueOrDefault(domain) ?? healthOptions.Value.Defaults) with { WindowSeconds = seconds };

    public IReadOnlyList<RankedVersion> VersionsOf(IEnumerable<BucketCounts> buckets, ILookup<(string Domain, string ModelVersion), HistogramCount> bins,
        IReadOnlyDictionary<string, SlaTargets> slas, string metric, int seconds)
    {
        var versions = new List<RankedVersion>();
        foreach (var group in buckets.Where(b => b.ModelVersion.Length > 0).GroupBy(b => (b.Domain, b.ModelVersion)))
        {
            var (d, version) = group.Key;
            var figures = WindowSummary.Summarise(group, bins[group.Key], seconds, costs.Value.PriceFor(d, version), costs.Value.Currency);
            var judged = HealthRules.Assess(figures, TargetsOf(slas, d, seconds), healthOptions.Value, monitoring.Value.MinimumSamples);
            var (value, samples) = metric == MetricRanking.Health ? (judged.Score, figures.Requests) : SeriesMetrics.Read(metric, figures);
            var routes = group.Select(b => b.Variant).Distinct().Order(StringComparer.Ordinal).ToArray();
            versions.Add(new RankedVersion(d, version, routes, judged.Score, judged.State, value, samples, figures)
            {
                Breaches = judged.Breaches,
            });
        }
        return versions;
    }
}
