using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>A monitor that looks every second and warns on any forecast that reaches the critical limit within a day.</summary>
public sealed class EarlyWarningFactory() : ServiceFactory<Program>("experimentationdb")
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
    [
        new("Monitoring:IntervalSeconds", "1"), new("Monitoring:MinimumSamples", "20"),
        new("Monitoring:ForecastHorizonMinutes", "1440"), new("Monitoring:ForecastConfirmations", "1"),
    ];
}

public sealed class EarlyWarningMonitorTests(EarlyWarningFactory factory) : IClassFixture<EarlyWarningFactory>
{
    [Fact]
    public async Task A_rising_latency_below_every_threshold_raises_a_forecast_warning()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = ExperimentsApiTests.NewDomain();
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);

        // Looks at 800 ms first, then at the window's mean once 20 outcomes at 1900 ms join them (1350 ms: below the
        // 1500 ms warning, so the level ladder stays quiet while the forecast climbs).
        Assert.True((await client.PostAsync("/api/alerts/monitoring/stop", null, ct)).IsSuccessStatusCode);
        for (var i = 0; i < 20; i++) await broker.PublishAsync(IngestionTests.Inference(domain, "stable", "2.0.0", 800));
        await IngestionTests.WaitForMetricAsync(client, $"/api/metrics?domain={domain}", "2.0.0", "latency_ms", 20, ct);
        var resumed = DateTime.UtcNow;
        Assert.True((await client.PostAsync("/api/alerts/monitoring/start", null, ct)).IsSuccessStatusCode);
        await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>("/api/alerts/monitoring", ct),
            s => s.GetProperty("lastRunAt").ValueKind == JsonValueKind.String && s.GetProperty("lastRunAt").GetDateTime() > resumed.AddSeconds(2),
            "two looks at the first outcomes");
        Assert.True((await client.PostAsync("/api/alerts/monitoring/stop", null, ct)).IsSuccessStatusCode);
        Assert.Empty((await client.GetFromJsonAsync<JsonElement>($"/api/alerts?domain={domain}", ct)).EnumerateArray());

        for (var i = 0; i < 20; i++) await broker.PublishAsync(IngestionTests.Inference(domain, "stable", "2.0.0", 1900));
        await IngestionTests.WaitForMetricAsync(client, $"/api/metrics?domain={domain}", "2.0.0", "latency_ms", 40, ct);
        Assert.True((await client.PostAsync("/api/alerts/monitoring/start", null, ct)).IsSuccessStatusCode);

        var alerts = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/alerts?domain={domain}", ct),
            a => a.GetArrayLength() > 0, "a forecast alert for the domain");
        var alert = alerts[alerts.GetArrayLength() - 1];
        Assert.Equal(("WARNING", "forecast:latency_ms", 3000.0, "2.0.0"), (alert.GetProperty("level").GetString(), alert.GetProperty("metric").GetString(),
            alert.GetProperty("threshold").GetDouble(), alert.GetProperty("modelVersion").GetString()));
        Assert.Equal(1350, alert.GetProperty("value").GetDouble(), 6);
        Assert.Matches(@"^" + domain + @" 2\.0\.0: forecast: latency will cross 3000 ms within \d+ min$", alert.GetProperty("message").GetString());
        // The latency itself raised nothing: it is below the warning threshold.
        Assert.DoesNotContain(alerts.EnumerateArray(), a => a.GetProperty("metric").GetString() == "latency_ms");
    }
}
