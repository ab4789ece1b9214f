namespace DomainPlatform.Experimentation.Domain;

public static class AlertLevels
{
    public const string Info = "INFO";
    public const string Warning = "WARNING";
    public const string Critical = "CRITICAL";
    public const string Emergency = "EMERGENCY";
    public static readonly IReadOnlyList<string> All = [Info, Warning, Critical, Emergency];

    public static int Rank(string level) => All.ToList().IndexOf(level);
}

/// <summary>Thresholds of the monitor; the defaults are the seeds' (critical error rate 10%, latency 3000 ms, warnings at half).</summary>
public sealed class MonitoringOptions
{
    public int IntervalSeconds { get; set; } = 30;
    public int WindowSeconds { get; set; } = 300;
    public long MinimumSamples { get; set; } = 20;
    public double WarningErrorRate { get; set; } = 0.05;
    public double CriticalErrorRate { get; set; } = 0.10;
    public double EmergencyErrorRate { get; set; } = 0.25;
    public double WarningLatencyMs { get; set; } = 1500;
    public double CriticalLatencyMs { get; set; } = 3000;
    public double EmergencyLatencyMs { get; set; } = 10000;

    /// <summary>Warn when the forecast reaches the critical limit within this many minutes (0 = no forecast warnings; at most a day).</summary>
    public int ForecastHorizonMinutes { get; set; } = 30;

    /// <summary>Looks in a row whose forecast must cross before the warning (1 to 100).</summary>
    public int ForecastConfirmations { get; set; } = 3;

    public bool IsValid() =>
        IntervalSeconds > 0 && WindowSeconds > 0 && MinimumSamples > 0
        && 0 < WarningErrorRate && WarningErrorRate <= CriticalErrorRate && CriticalErrorRate <= EmergencyErrorRate && EmergencyErrorRate <= 1
        && 0 < WarningLatencyMs && WarningLatencyMs <= CriticalLatencyMs && CriticalLatencyMs <= EmergencyLatencyMs
        && ForecastHorizonMinutes is >= 0 and <= 1440 && ForecastConfirmations is >= 1 and <= 100;
}

/// <summary>A change of level worth an alert.</summary>
public sealed record AlertDecision(string Level, double Threshold, string Message);

/// <summary>Levels of a watched value and when a change of level raises an alert; pure, so the ladder is tested.</summary>
public static class AlertRules
{
    /// <summary>The level a value is at (INFO when normal) and the threshold it crossed.</summary>
    public static (string Level, double Threshold) LevelOf(string metric, double value, MonitoringOptions o) => metric switch
    {
        MetricCatalog.ErrorRate => Ladder(value, o.WarningErrorRate, o.CriticalErrorRate, o.EmergencyErrorRate),
        MetricCatalog.LatencyMs => Ladder(value, o.WarningLatencyMs, o.CriticalLatencyMs, o.EmergencyLatencyMs),
        _ => throw new ArgumentException($"The monitor does not watch '{metric}'.", nameof(metric)),
    };

    /// <summary>An alert when the level changed since the last look; INFO when a raised series is back to normal.</summary>
    public static AlertDecision? Decide(string domain, string version, string metric, double value, string? previousLevel, MonitoringOptions o)
    {
        var (level, threshold) = LevelOf(metric, value, o);
        if (level == (previousLevel ?? AlertLevels.Info)) return null;
        var what = metric == MetricCatalog.ErrorRate
            ? FormattableString.Invariant($"error rate {100 * value:0.0}%")
            : FormattableString.Invariant($"mean latency {value:F0} ms");
        var limit = metric == MetricCatalog.ErrorRate ? FormattableString.Invariant($"{100 * threshold:0.##}%") : FormattableString.Invariant($"{threshold:F0} ms");
        var message = level == AlertLevels.Info
            ? $"{domain} {version}: {what} is back to normal (was {previousLevel})"
            : $"{domain} {version}: {what} above the {level.ToLowerInvariant()} threshold {limit}";
        return new AlertDecision(level, threshold, message);
    }

    private static (string, double) Ladder(double value, double warning, double critical, double emergency) =>
        value >= emergency ? (AlertLevels.Emergency, emergency)
        : value >= critical ? (AlertLevels.Critical, critical)
        : value >= warning ? (AlertLevels.Warning, warning)
        : (AlertLevels.Info, warning);
}
