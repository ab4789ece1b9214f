using System.Collections.Concurrent;
using DomainPlatform.Statistics.Forecasting;

namespace DomainPlatform.Experimentation.Domain;

/// <summary>
/// Forecast early warnings: per domain, version and watched metric a robust Holt linear forecaster is fed each look's window
/// value; when its forecast reaches the critical limit within <see cref="MonitoringOptions.ForecastHorizonMinutes"/> on
/// <see cref="MonitoringOptions.ForecastConfirmations"/> looks in a row (the value itself still below the limit), a
/// WARNING on the metric's forecast series; INFO once the forecast no longer crosses. Pure and in memory: a restarted
/// replica learns again from its next looks.
/// </summary>
public sealed class EarlyWarnings
{
    /// <summary>Per look: α for the level, β for the trend (the benchmark's figures, docs/experimentation.md).</summary>
    public static readonly ForecastSmoothing Smoothing = new(Level: 0.2, Trend: 0.1);

    /// <summary>A look's residual counts at most ±2σ̂ (robust Holt): one odd window does not make a trend.</summary>
    public const double OutlierLimit = 2;

    /// <summary>σ̂ counts as at least this share of the critical limit, so a long flat stretch (no errors) cannot freeze a forecaster.</summary>
    public const double MinimumScaleOfCritical = 0.01;

    private readonly ConcurrentDictionary<(string Domain, string Version, string Metric), Series> series = new();

    /// <summary>The alert series a metric's forecast warnings are kept under (apart from the metric's own ladder).</summary>
    public static string ForecastMetric(string metric) => $"forecast:{metric}";

    /// <summary>Feeds one look's value; an alert when the forecast warning starts or ends, else null.</summary>
    public AlertDecision? Observe(string domain, string version, string metric, double value, string? previousLevel, MonitoringOptions o)
    {
        var s = series.GetOrAdd((domain, version, metric), _ => new Series(MinimumScaleOfCritical * CriticalOf(metric, o)));
        lock (s)
        {
            s.Forecaster.Observe(value);
            if (o.ForecastHorizonMinutes == 0) return null;
            var critical = CriticalOf(metric, o);
            var horizonLooks = (int)Math.Ceiling(o.ForecastHorizonMinutes * 60.0 / o.IntervalSeconds);
            var steps = value < critical ? s.Forecaster.StepsUntilCrossing(critical, horizonLooks) : null;
            s.CrossingRun = steps is null ? 0 : s.CrossingRun + 1;
            var warned = previousLevel == AlertLevels.Warning;
            var (what, limit) = Describe(metric, critical);
            if (steps is { } ahead && s.CrossingRun >= o.ForecastConfirmations && !warned)
            {
                var minutes = (int)Math.Ceiling(ahead * o.IntervalSeconds / 60.0);
                return new AlertDecision(AlertLevels.Warning, critical, $"{domain} {version}: forecast: {what} will cross {limit} within {minutes} min");
            }

            return warned && s.CrossingRun == 0
                ? new AlertDecision(AlertLevels.Info, critical,
                    $"{domain} {version}: forecast: {what} no longer expected to cross {limit} within {o.ForecastHorizonMinutes} min")
                : null;
        }
    }

    private static double CriticalOf(string metric, MonitoringOptions o) => metric switch
    {
        MetricCatalog.ErrorRate => o.CriticalErrorRate,
        MetricCatalog.LatencyMs => o.CriticalLatencyMs,
        _ => throw new ArgumentException($"The monitor does not forecast '{metric}'.", nameof(metric)),
    };

    private static (string What, string Limit) Describe(string metric, double critical) => metric == MetricCatalog.ErrorRate
        ? ("error rate", FormattableString.Invariant($"{100 * critical:0.##}%"))
        : ("latency", FormattableString.Invariant($"{critical:F0} ms"));

    private sealed class Series(double minimumScale)
    {
        public HoltWintersForecaster Forecaster { get; } = new(SeasonalSlots.None, Smoothing, outlierLimit: OutlierLimit, minimumResidualScale: minimumScale);

        public int CrossingRun { get; set; }
    }
}
