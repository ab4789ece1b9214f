using System.Globalization;
using DomainPlatform.Forecasting.Benchmarks;
using Stream = DomainPlatform.Forecasting.Benchmarks.Stream;

// Usage: dotnet run -c Release --project benchmarks/Forecasting.Benchmarks [-- --seeds 200]
// One-minute samples of a domain version's mean latency and error rate, five days per stream; every figure is seeded.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var seeds = args.Length >= 2 && args[0] == "--seeds" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
string[] detectors = ["CUSUM", "EWMA", "Forecast", "Robust forecast", "Either"];

Console.WriteLine($"$ dotnet run -c Release --project benchmarks/Forecasting.Benchmarks -- --seeds {seeds}");
Console.WriteLine();
Console.WriteLine($"Streams: {seeds} seeds per row, one-minute samples, 5 days each (2 to learn), degradation onset at a random minute of day 4.");
Console.WriteLine($"Detectors: seasonal CUSUM (96 quarter-hour slots, k = 0.5, h = 8); seasonal EWMA chart (same slots, λ = 0.2, L = 4); Holt-Winters forecast crossing the critical limit within {EarlyWarning.HorizonMinutes} min on {EarlyWarning.Confirmations} consecutive samples; Robust forecast = the same, residuals cut at ±2σ̂; Either = the first of CUSUM and robust forecast.");
Console.WriteLine("Static alert: value ≥ limit (AlertRules defaults: latency warning 1500 ms / critical 3000 ms, error rate 5% / 10%).");
Console.WriteLine("Before warn/crit: the detector alarmed after the onset and before the static warning/critical alert (or that alert never fired).");
Console.WriteLine("Lead: median minutes by which the detector's first alarm preceded the static critical alert (seeds where both fired).");
Console.WriteLine("False alarms/day: after the two learning days and before any onset; static: the static warning rule's over the same minutes.");
Console.WriteLine();
Console.WriteLine("| metric | scenario | detector | detected | before warn | before crit | lead vs crit (min) | static crit fired | false alarms/day | static false alarms/day |");
Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");

var overall = detectors.ToDictionary(d => d, _ => (Degraded: 0, BeforeCritical: 0, BeforeWarning: 0));
foreach (var metric in new[] { MetricKind.Latency, MetricKind.ErrorRate })
{
    foreach (var scenario in Enum.GetValues<Scenario>())
    {
        var rows = detectors.ToDictionary(d => d, _ => new Row());
        var staticCriticalFired = 0;
        var staticFalseAlarms = 0L;
        for (var seed = 0; seed < seeds; seed++)
        {
            var stream = Stream.Generate(metric, scenario, seed);
            var warning = new EarlyWarning(metric.CriticalLimit);
            var first = detectors.ToDictionary(d => d, _ => (int?)null);
            var falseAlarms = detectors.ToDictionary(d => d, _ => 0);
            var watchedUntil = stream.Onset ?? Stream.Length;
            for (var t = 0; t < stream.End; t++)
            {
                var (change, ewma, forecast, robustForecast) = warning.Observe(stream.Values[t]);
                // The static rule alerts when a value reaches the limit after being below it (a change of level).
                if (t >= Stream.WatchFrom && t < watchedUntil && stream.Values[t] >= metric.WarningLimit && stream.Values[t - 1] < metric.WarningLimit) staticFalseAlarms++;
                foreach (var (name, alarm) in new[] { ("CUSUM", change), ("EWMA", ewma), ("Forecast", forecast), ("Robust forecast", robustForecast), ("Either", change || robustForecast) })
                {
                    if (!alarm) continue;
                    if (t >= Stream.WatchFrom && t < watchedUntil) falseAlarms[name]++;
                    if (stream.Onset is { } o && t >= o) first[name] ??= t;
                }
            }

            int? staticWarning = null, staticCritical = null;
            if (stream.Onset is { } onset)
            {
                for (var t = onset; t < stream.End; t++)
                {
                    if (stream.Values[t] >= metric.WarningLimit) staticWarning ??= t;
                    if (stream.Values[t] >= metric.CriticalLimit) staticCritical ??= t;
                }

                if (staticCritical is not null) staticCriticalFired++;
            }

            foreach (var name in detectors)
            {
                var row = rows[name];
                row.WatchedMinutes += Math.Max(0, watchedUntil - Stream.WatchFrom);
                row.FalseAlarms += falseAlarms[name];
                if (stream.Onset is null) continue;
                row.Degraded++;
                if (first[name] is not { } at) continue;
                row.Detected++;
                if (staticWarning is null || at < staticWarning) row.BeforeWarning++;
                if (staticCritical is null || at < staticCritical) row.BeforeCritical++;
                if (staticCritical is { } critical) row.Leads.Add(critical - at);
            }
        }

        foreach (var name in detectors)
        {
            var row = rows[name];
            var perDay = row.FalseAlarms / (row.WatchedMinutes / (double)Stream.MinutesPerDay);
            var degraded = row.Degraded > 0;
            if (degraded)
            {
                var total = overall[name];
                overall[name] = (total.Degraded + row.Degraded, total.BeforeCritical + row.BeforeCritical, total.BeforeWarning + row.BeforeWarning);
            }

            Console.WriteLine(string.Join(" | ", [
                $"| {metric.Name}", Label(scenario), name,
                degraded ? Percent(row.Detected, row.Degraded) : "–",
                degraded ? Percent(row.BeforeWarning, row.Degraded) : "–",
                degraded ? Percent(row.BeforeCritical, row.Degraded) : "–",
                row.Leads.Count > 0 ? Median(row.Leads).ToString("0.#", CultureInfo.InvariantCulture) : "–",
                degraded ? Percent(staticCriticalFired, row.Degraded) : "–",
                $"{perDay:0.00}",
                $"{staticFalseAlarms / (row.WatchedMinutes / (double)Stream.MinutesPerDay):0.00} |"]));
        }
    }
}

Console.WriteLine();
foreach (var name in detectors)
{
    var (degraded, beforeCritical, beforeWarning) = overall[name];
    Console.WriteLine($"{name}: {Percent(beforeCritical, degraded)} of {degraded} degradations flagged before the static critical alert, {Percent(beforeWarning, degraded)} before the static warning.");
}

static string Percent(int part, int whole) => FormattableString.Invariant($"{100.0 * part / whole:0.0}%");

static double Median(List<int> values)
{
    values.Sort();
    var middle = values.Count / 2;
    return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2.0;
}

static string Label(Scenario scenario) => scenario switch
{
    Scenario.AA => "A/A",
    Scenario.AAWithOutliers => "A/A, 1% outliers",
    Scenario.PeriodicLoad => "periodic load",
    Scenario.SlowDrift => "slow drift",
    Scenario.StepChange => "step change",
    _ => "spike",
};

internal sealed class Row
{
    public int Degraded { get; set; }
    public int Detected { get; set; }
    public int BeforeWarning { get; set; }
    public int BeforeCritical { get; set; }
    public long FalseAlarms { get; set; }
    public long WatchedMinutes { get; set; }
    public List<int> Leads { get; } = [];
}
