using DomainPlatform.Experimentation.Domain;

namespace DomainPlatform.Experimentation.Tests;

public sealed class EarlyWarningTests
{
    private static readonly MonitoringOptions Defaults = new();

    /// <summary>Feeds the values one look at a time, keeping the forecast series' level as the alert store would.</summary>
    private static List<(int Look, AlertDecision Decision)> Run(EarlyWarnings warnings, string metric, IEnumerable<double> values, MonitoringOptions? options = null)
    {
        var raised = new List<(int, AlertDecision)>();
        string? level = null;
        var look = 0;
        foreach (var value in values)
        {
            if (warnings.Observe("support", "2.0.0", metric, value, level, options ?? Defaults) is { } decision)
            {
                raised.Add((look, decision));
                level = decision.Level;
            }

            look++;
        }

        return raised;
    }

    [Fact]
    public void A_latency_climbing_towards_the_critical_limit_is_warned_about_before_it_gets_there()
    {
        // Every 30 s look the window's latency is 20 ms higher: 3000 ms is 110 looks (55 min) away from 800 ms.
        var climbing = Enumerable.Range(0, 110).Select(i => 800.0 + 20 * i).ToArray();
        var raised = Run(new EarlyWarnings(), MetricCatalog.LatencyMs, climbing);

        var (look, warning) = Assert.Single(raised);
        Assert.Equal(AlertLevels.Warning, warning.Level);
        Assert.Equal(3000, warning.Threshold);
        Assert.Matches(@"^support 2\.0\.0: forecast: latency will cross 3000 ms within \d+ min$", warning.Message);
        // The warning comes while the latency is still well below the critical limit (and below the 1500 ms warning).
        Assert.True(climbing[look] < 3000 && look < 110 - 2, $"warned at look {look}, {climbing[look]} ms");
        var minutes = int.Parse(warning.Message.Split("within ")[1].Split(' ')[0]);
        Assert.InRange(minutes, 1, Defaults.ForecastHorizonMinutes);
    }

    [Fact]
    public void A_steady_or_noisy_stream_raises_no_forecast_warning()
    {
        var random = new Random(3);
        var noisy = Enumerable.Range(0, 2000).Select(_ => 800 + 80 * (random.NextDouble() - 0.5)).ToArray();
        Assert.Empty(Run(new EarlyWarnings(), MetricCatalog.LatencyMs, Enumerable.Repeat(800.0, 500)));
        Assert.Empty(Run(new EarlyWarnings(), MetricCatalog.LatencyMs, noisy));
        Assert.Empty(Run(new EarlyWarnings(), MetricCatalog.ErrorRate, Enumerable.Repeat(0.01, 500)));
    }

    [Fact]
    public void One_odd_window_among_steady_looks_raises_no_forecast_warning()
    {
        var random = new Random(5);
        var looks = Enumerable.Range(0, 400).Select(i => i == 200 ? 2900 : 800 + 40 * (random.NextDouble() - 0.5));
        Assert.Empty(Run(new EarlyWarnings(), MetricCatalog.LatencyMs, looks));
    }

    [Fact]
    public void The_warning_ends_with_an_info_once_the_forecast_no_longer_crosses()
    {
        // Error rate rising 0.2 points a look, then flat again at 6%.
        var values = Enumerable.Range(0, 25).Select(i => 0.01 + 0.002 * i).Concat(Enumerable.Repeat(0.06, 100)).ToArray();
        var raised = Run(new EarlyWarnings(), MetricCatalog.ErrorRate, values);

        Assert.Equal([AlertLevels.Warning, AlertLevels.Info], raised.Select(r => r.Decision.Level));
        Assert.Matches(@"forecast: error rate will cross 10% within \d+ min$", raised[0].Decision.Message);
        Assert.EndsWith("forecast: error rate no longer expected to cross 10% within 30 min", raised[1].Decision.Message);
        Assert.True(raised[1].Look >= 25);
    }

    [Fact]
    public void Series_are_kept_apart_and_the_horizon_can_turn_warnings_off()
    {
        var warnings = new EarlyWarnings();
        var climbing = Enumerable.Range(0, 110).Select(i => 800.0 + 20 * i).ToArray();
        Assert.Single(Run(warnings, MetricCatalog.LatencyMs, climbing));
        // The same version's error rate learns on its own.
        Assert.Empty(Run(warnings, MetricCatalog.ErrorRate, Enumerable.Repeat(0.01, 50)));
        Assert.Empty(Run(new EarlyWarnings(), MetricCatalog.LatencyMs, climbing, new MonitoringOptions { ForecastHorizonMinutes = 0 }));
        Assert.Equal("forecast:latency_ms", EarlyWarnings.ForecastMetric(MetricCatalog.LatencyMs));
    }

    [Fact]
    public void Forecast_settings_are_validated()
    {
        Assert.True(Defaults.IsValid());
        Assert.False(new MonitoringOptions { ForecastHorizonMinutes = -1 }.IsValid());
        Assert.False(new MonitoringOptions { ForecastHorizonMinutes = 1441 }.IsValid());
        Assert.False(new MonitoringOptions { ForecastConfirmations = 0 }.IsValid());
    }
}
