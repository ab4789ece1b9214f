using System.Globalization;
using System.Net;
using System.Text;

namespace DomainPlatform.Experimentation.Domain;

public static class ReportScopes
{
    public const string Domain = "domain";
    public const string Platform = "platform";
}

public static class ReportStatuses
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

public static class ReportCadences
{
    public const string Daily = "daily";
    public const string Weekly = "weekly";

    /// <summary>
    /// The first run strictly after <paramref name="after"/>: daily at <paramref name="hourUtc"/>:00 UTC, weekly on
    /// <paramref name="day"/> at that hour.
    /// </summary>
    public static DateTime NextRun(string cadence, int hourUtc, DayOfWeek day, DateTimeOffset after)
    {
        var at = after.UtcDateTime;
        var candidate = at.Date.AddHours(hourUtc);
        if (cadence == Weekly) candidate = candidate.AddDays(((int)day - (int)candidate.DayOfWeek + 7) % 7);
        var step = cadence == Weekly ? TimeSpan.FromDays(7) : TimeSpan.FromDays(1);
        while (candidate <= at) candidate += step;
        return DateTime.SpecifyKind(candidate, DateTimeKind.Utc);
    }

    /// <summary>What a run at <paramref name="runAt"/> reports on: the day (or week) that ends then.</summary>
    public static (DateTime From, DateTime Until) WindowOf(string cadence, DateTime runAt) =>
        (runAt - (cadence == Weekly ? TimeSpan.FromDays(7) : TimeSpan.FromDays(1)), runAt);
}

/// <summary>One model version in a report: health against the domain's SLA, the violations open in the window, figures and trends.</summary>
public sealed record VersionReport(string ModelVersion, IReadOnlyList<string> Routes, double? HealthScore, string SlaState,
    IReadOnlyList<SlaBreach> Breaches, IReadOnlyList<ReportViolation> Violations, WindowFigures Figures, IReadOnlyDictionary<string, SeriesTrend> Trends);

/// <summary>An SLA violation that was open at some time in the report's window.</summary>
public sealed record ReportViolation(string Target, double Value, double Threshold, string Reason, DateTime StartedAt, DateTime? ResolvedAt);

public sealed record DomainReport(string Domain, SlaTargets Sla, bool DefaultSla, IReadOnlyList<VersionReport> Versions);

public sealed record ReportContent(Guid Id, string Scope, string? Domain, DateTime WindowStart, DateTime WindowEnd, int WindowSeconds,
    int TrendResolutionSeconds, DateTime GeneratedAt, IReadOnlyList<DomainReport> Domains);

/// <summary>Report windows, trend resolutions and the CSV and HTML renderings; pure.</summary>
public static class ReportRules
{
    public const int MaxWindowSeconds = 31 * 86_400;

    /// <summary>The metrics whose trend a report shows per version.</summary>
    public static readonly IReadOnlyList<string> TrendMetrics =
        [SeriesMetrics.Throughput, SeriesMetrics.ErrorRate, SeriesMetrics.LatencyP95, SeriesMetrics.Accuracy, SeriesMetrics.CostPerRequest];

    /// <summary>Trends over 24 slots of the window: its length / 24 rounded up to the 10-second bucket.</summary>
    public static int TrendResolution(int windowSeconds) => Math.Max(10, (int)Math.Ceiling(windowSeconds / 24.0 / 10) * 10);

    private static readonly string[] CsvHeader =
    [
        "scope", "domain", "model_version", "routes", "window_start", "window_end", "health_score", "sla_state", "breaches", "violations",
        "requests", "errors", "throughput_per_s", "error_rate", "availability", "accuracy", "latency_mean_ms", "latency_p50_ms", "latency_p95_ms",
        "latency_p99_ms", "cost_per_request", "total_cost", "currency",
        .. TrendMetrics.SelectMany(m => new[] { $"trend_{m}_direction", $"trend_{m}_slope_per_hour", $"trend_{m}_relative_half_change" }),
    ];

    /// <summary>One row per domain and version: its figures and, per trend metric, direction, slope per hour and relative half change.</summary>
    public static string ToCsv(ReportContent r)
    {
        var csv = new Csv(CsvHeader);
        foreach (var d in r.Domains)
            foreach (var v in d.Versions)
            {
                var f = v.Figures;
                var fields = new List<object?>
                {
                    r.Scope, d.Domain, v.ModelVersion, string.Join(';', v.Routes), r.WindowStart, r.WindowEnd, v.HealthScore, v.SlaState,
                    string.Join(';', v.Breaches.Select(b => b.Target)), v.Violations.Count, f.Requests, f.Errors, f.ThroughputPerSecond, f.ErrorRate,
                    f.Availability, f.Accuracy, f.Latency.MeanMs, f.Latency.P50Ms, f.Latency.P95Ms, f.Latency.P99Ms, f.Cost.CostPerRequest, f.Cost.TotalCost,
                    f.Cost.Currency,
                };
                foreach (var m in TrendMetrics)
                {
                    var t = v.Trends.GetValueOrDefault(m);
                    fields.AddRange([t?.Direction, t?.SlopePerHour, t?.RelativeHalfChange]);
                }
                csv.Row([.. fields]);
            }
        return csv.ToString();
    }

    /// <summary>A self-contained page that prints on A4/Letter: a table per domain, violations and trends under it.</summary>
    public static string ToHtml(ReportContent r)
    {
        static string E(object? value) => WebUtility.HtmlEncode(value switch
        {
            null => "–",
            double d => d.ToString("0.####", CultureInfo.InvariantCulture),
            DateTime t => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        });
        var title = r.Scope == ReportScopes.Platform ? "Platform report" : $"Report: {r.Domain}";
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(title)).Append("</title>\n<style>")
            .Append("body{font:12px/1.4 system-ui,sans-serif;margin:2em;color:#111}table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}")
            .Append("th,td{border:1px solid #999;padding:3px 6px;text-align:right}th:first-child,td:first-child{text-align:left}th{background:#eee}")
            .Append(".violated{color:#a00;font-weight:bold}.met{color:#060}h2{page-break-before:auto;margin-top:1.5em}")
            .Append("@media print{body{margin:0}h2{page-break-after:avoid}table{page-break-inside:avoid}}</style></head><body>\n")
            .Append("<h1>").Append(E(title)).Append("</h1>\n<p>Window ").Append(E(r.WindowStart)).Append(" to ").Append(E(r.WindowEnd))
            .Append(" (").Append(E(r.WindowSeconds)).Append(" s); generated ").Append(E(r.GeneratedAt)).Append("; trends over slots of ")
            .Append(E(r.TrendResolutionSeconds)).Append(" s.</p>\n");
        if (r.Domains.Count == 0) html.Append("<p>No traffic in the window.</p>\n");
        foreach (var d in r.Domains)
        {
            html.Append("<h2>").Append(E(d.Domain)).Append("</h2>\n<p>SLA").Append(d.DefaultSla ? " (defaults)" : "").Append(": p95 ≤ ")
                .Append(E(d.Sla.LatencyP95Ms)).Append(" ms, error rate ≤ ").Append(E(d.Sla.MaxErrorRate)).Append(", availability ≥ ")
                .Append(E(d.Sla.MinAvailability)).Append(d.Sla.MinAccuracy is { } acc ? $", accuracy ≥ {E(acc)}" : "").Append("</p>\n<table><thead><tr>")
                .Append("<th>version</th><th>routes</th><th>health</th><th>SLA</th><th>violations</th><th>requests</th><th>req/s</th><th>error rate</th>")
                .Append("<th>availability</th><th>accuracy</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>cost/request</th><th>total cost</th></tr></thead><tbody>\n");
            foreach (var v in d.Versions)
            {
                var f = v.Figures;
                html.Append("<tr><td>").Append(E(v.ModelVersion)).Append("</td><td>").Append(E(string.Join(", ", v.Routes))).Append("</td><td>")
                    .Append(E(v.HealthScore)).Append("</td><td class=\"").Append(E(v.SlaState)).Append("\">").Append(E(v.SlaState)).Append("</td><td>")
                    .Append(E(v.Violations.Count)).Append("</td><td>").Append(E(f.Requests)).Append("</td><td>").Append(E(f.ThroughputPerSecond))
                    .Append("</td><td>").Append(E(f.ErrorRate)).Append("</td><td>").Append(E(f.Availability)).Append("</td><td>").Append(E(f.Accuracy))
                    .Append("</td><td>").Append(E(f.Latency.P50Ms)).Append("</td><td>").Append(E(f.Latency.P95Ms)).Append("</td><td>").Append(E(f.Latency.P99Ms))
                    .Append("</td><td>").Append(E(f.Cost.CostPerRequest)).Append("</td><td>").Append(E(f.Cost.TotalCost)).Append(' ').Append(E(f.Cost.Currency))
                    .Append("</td></tr>\n");
            }
            html.Append("</tbody></table>\n");
            foreach (var v in d.Versions)
            {
                html.Append("<h3>").Append(E(d.Domain)).Append(' ').Append(E(v.ModelVersion)).Append(": trends</h3>\n<table><thead><tr><th>metric</th>")
                    .Append("<th>direction</th><th>improving</th><th>slope per hour</th><th>first half</th><th>second half</th><th>relative change</th></tr></thead><tbody>\n");
                foreach (var (metric, t) in v.Trends)
                    html.Append("<tr><td>").Append(E(metric)).Append("</td><td>").Append(E(t.Direction)).Append("</td><td>").Append(E(t.Improving))
                        .Append("</td><td>").Append(E(t.SlopePerHour)).Append("</td><td>").Append(E(t.FirstHalfMean)).Append("</td><td>").Append(E(t.SecondHalfMean))
                        .Append("</td><td>").Append(E(t.RelativeHalfChange)).Append("</td></tr>\n");
                html.Append("</tbody></table>\n");
                if (v.Violations.Count == 0) continue;
                html.Append("<table><thead><tr><th>violation</th><th>value</th><th>threshold</th><th>started</th><th>resolved</th><th>reason</th></tr></thead><tbody>\n");
                foreach (var x in v.Violations)
                    html.Append("<tr><td>").Append(E(x.Target)).Append("</td><td>").Append(E(x.Value)).Append("</td><td>").Append(E(x.Threshold))
                        .Append("</td><td>").Append(E(x.StartedAt)).Append("</td><td>").Append(E(x.ResolvedAt)).Append("</td><td>").Append(E(x.Reason)).Append("</td></tr>\n");
                html.Append("</tbody></table>\n");
            }
        }
        return html.Append("</body></html>\n").ToString();
    }
}
