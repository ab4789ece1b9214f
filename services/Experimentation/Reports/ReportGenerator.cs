using DomainPlatform.Experimentation.Data;
using DomainPlatform.Experimentation.Domain;
using Microsoft.Extensions.Options;

namespace DomainPlatform.Experimentation.Reports;

/// <summary>Builds a report's content from the aggregates, SLAs and violations of its window, one domain at a time (progress after each).</summary>
public sealed class ReportGenerator(MetricStore metrics, HealthStore health, MetricsReader reader, IOptions<CostOptions> costs, TimeProvider clock)
{
    public async Task<ReportContent> GenerateAsync(ReportRow report, Func<double, Task> progress, CancellationToken ct)
    {
        var (from, until) = (DateTime.SpecifyKind(report.WindowStart, DateTimeKind.Utc), DateTime.SpecifyKind(report.WindowEnd, DateTimeKind.Utc));
        var seconds = (int)(until - from).TotalSeconds;
        var resolution = ReportRules.TrendResolution(seconds);
        var domain = report.Scope == ReportScopes.Domain ? report.Domain : null;
        var buckets = await metrics.BucketsAsync(domain, null, from, until, ct);
        var bins = await metrics.HistogramsAsync(domain, null, from, until, ct);
        var slas = await reader.SlasAsync(ct);
        var violations = (await health.ViolationsBetweenAsync(domain, from, until, ct)).ToLookup(v => (v.Domain, v.ModelVersion));
        var byDomain = buckets.Where(b => b.ModelVersion.Length > 0).GroupBy(b => b.Domain).OrderBy(g => g.Key, StringComparer.Ordinal).ToArray();
        var binsOf = bins.ToLookup(b => (b.Domain, b.ModelVersion));
        var domains = new List<DomainReport>();
        for (var i = 0; i < byDomain.Length; i++)
        {
            var d = byDomain[i].Key;
            var versions = reader.VersionsOf(byDomain[i], binsOf, slas, MetricRanking.Health, seconds)
                .OrderBy(v => v.ModelVersion, StringComparer.Ordinal)
                .Select(v =>
                {
                    var own = byDomain[i].Where(b => b.ModelVersion == v.ModelVersion).ToArray();
                    var price = costs.Value.PriceFor(d, v.ModelVersion);
                    var trends = ReportRules.TrendMetrics.ToDictionary(m => m, m => MetricSeries.Trend(
                        MetricSeries.Build(own, binsOf[(d, v.ModelVersion)], from, until, resolution, m, price, costs.Value.Currency), SeriesMetrics.HigherIsBetter(m)));
                    var open = violations[(d, v.ModelVersion)].Select(x => new ReportViolation(x.Target, x.Value, x.Threshold, x.Reason, x.StartedAt, x.ResolvedAt)).ToArray();
                    return new VersionReport(v.ModelVersion, v.Routes, v.HealthScore, v.SlaState, v.Breaches, open, v.Figures, trends);
                })
                .ToArray();
            domains.Add(new DomainReport(d, reader.TargetsOf(slas, d, seconds), !slas.ContainsKey(d), versions));
            await progress((i + 1.0) / byDomain.Length);
        }
        // A domain's report names the domain even when it had no traffic in the window.
        if (domain is not null && domains.Count == 0) domains.Add(new DomainReport(domain, reader.TargetsOf(slas, domain, seconds), !slas.ContainsKey(domain), []));
        await progress(1);
        return new ReportContent(report.Id, report.Scope, report.Domain, from, until, seconds, resolution, clock.GetUtcNow().UtcDateTime, domains);
    }
}
