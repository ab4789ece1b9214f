namespace DomainPlatform.Forecasting.Benchmarks;

/// <summary>What is injected into a stream.</summary>
public enum Scenario
{
    /// <summary>No degradation, no daily cycle.</summary>
    AA,

    /// <summary>No degradation, no daily cycle, 1% of the minutes outliers (×1.5–3 latency, ×3–6 errors: pauses, bursts).</summary>
    AAWithOutliers,

    /// <summary>The daily load cycle, no degradation.</summary>
    PeriodicLoad,

    /// <summary>A linear rise from the onset that reaches the critical limit in 2 to 6 hours.</summary>
    SlowDrift,

    /// <summary>A jump at the onset to 1.4–2.5× the normal level (latency) or 2–4× (errors), kept.</summary>
    StepChange,

    /// <summary>A rise over 10 minutes to well above the critical limit, 10 minutes there, then back.</summary>
    Spike,
}

/// <summary>One monitored series and its static limits (the monitor's AlertRules defaults).</summary>
public sealed record MetricKind(string Name, double Normal, double WarningLimit, double CriticalLimit, string Unit)
{
    public static MetricKind Latency { get; } = new("latency", 800, 1500, 3000, "ms");

    public static MetricKind ErrorRate { get; } = new("error rate", 0.01, 0.05, 0.10, "");

    /// <summary>One sample of noise around a mean: log-normal for latency, the binomial's normal shape for errors.</summary>
    public double Noisy(double mean, Random random) => this == Latency
        ? mean * Math.Exp(0.1 * Gaussian(random) - 0.005)
        : Math.Max(0, mean + Math.Sqrt(mean * (1 - mean) / RequestsPerMinute) * Gaussian(random));

    public const int RequestsPerMinute = 500;

    public static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

/// <summary>A synthetic stream of one-minute samples with its degradation's onset (null for none).</summary>
public sealed record Stream(double[] Values, int? Onset, int End)
{
    public const int MinutesPerDay = 1440;

    /// <summary>Five days: two for the detectors to learn, the degradation somewhere in days four and five.</summary>
    public const int Length = 5 * MinutesPerDay;

    /// <summary>Where false alarms are counted: after the two learning days.</summary>
    public const int WatchFrom = 2 * MinutesPerDay;

    public static Stream Generate(MetricKind metric, Scenario scenario, int seed)
    {
        // Fixed per (metric, scenario, seed), the same in every run (string hashes are not).
        var random = new Random(unchecked(seed * 7919 + (int)scenario * 104_729 + (metric == MetricKind.Latency ? 0 : 15_485_863)));
        var cycle = scenario is Scenario.AA or Scenario.AAWithOutliers ? 0 : 0.3;
        var values = new double[Length];
        int? onset = scenario is Scenario.AA or Scenario.AAWithOutliers or Scenario.PeriodicLoad ? null : 3 * MinutesPerDay + random.Next(MinutesPerDay);
        var end = Length;
        var normalAtOnset = 0.0;
        double rampPerMinute = 0, stepFactor = 1;
        if (onset is { } o)
        {
            normalAtOnset = metric.Normal * (1 + cycle * Math.Sin(2 * Math.PI * o / MinutesPerDay));
            switch (scenario)
            {
                case Scenario.SlowDrift:
                    var minutesToCritical = 120 + random.Next(241);
                    rampPerMinute = (metric.CriticalLimit - normalAtOnset) / minutesToCritical;
                    end = Math.Min(Length, o + 2 * minutesToCritical);
                    break;
                case Scenario.StepChange:
                    stepFactor = metric == MetricKind.Latency ? 1.4 + 1.1 * random.NextDouble() : 2 + 2 * random.NextDouble();
                    end = Math.Min(Length, o + 240);
                    break;
                case Scenario.Spike:
                    end = Math.Min(Length, o + 60);
                    break;
            }
        }

        for (var t = 0; t < Length; t++)
        {
            var mean = metric.Normal * (1 + cycle * Math.Sin(2 * Math.PI * t / MinutesPerDay));
            if (onset is { } start && t >= start)
            {
                var since = t - start;
                mean = scenario switch
                {
                    Scenario.SlowDrift => mean + rampPerMinute * since,
                    Scenario.StepChange => mean * stepFactor,
                    Scenario.Spike when since < 10 => mean + (since + 1) / 10.0 * (1.5 * metric.CriticalLimit - mean),
                    Scenario.Spike when since < 20 => 1.5 * metric.CriticalLimit,
                    _ => mean,
                };
            }

            if (scenario == Scenario.AAWithOutliers && random.NextDouble() < 0.01)
            {
                mean *= metric == MetricKind.Latency ? 1.5 + 1.5 * random.NextDouble() : 3 + 3 * random.NextDouble();
            }

            values[t] = metric.Noisy(Math.Min(mean, metric == MetricKind.ErrorRate ? 1 : double.MaxValue), random);
        }

        return new Stream(values, onset, end);
    }
}
