using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using DomainPlatform.Experimentation.Domain;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>The service with a monitor that looks every second and needs only 20 samples.</summary>
public sealed class MonitoringFactory() : ServiceFactory<Program>("experimentationdb")
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
        [new("Monitoring:IntervalSeconds", "1"), new("Monitoring:MinimumSamples", "20")];
}

public sealed class MonitoringTests(MonitoringFactory factory) : IClassFixture<MonitoringFactory>
{
    [Fact]
    public async Task A_critical_error_rate_raises_an_alert_kept_in_history_and_posted_to_webhooks()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        using var hook = new HttpListener();
        var port = FreePort();
        hook.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        hook.Start();
        var domain = ExperimentsApiTests.NewDomain();
        // The webhook gets every alert of the service, the other tests' too: keep the first one about this domain.
        var received = ReceiveAboutAsync(hook, domain);
        var added = await client.PostAsJsonAsync("/api/alerts/webhooks", new { url = $"http://127.0.0.1:{port}/hook/", minLevel = "WARNING" }, ct);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        // Paused while the outcomes arrive: a look at a part of them would see another rate (4 errors in 23 is 17%).
        Assert.True((await client.PostAsync("/api/alerts/monitoring/stop", null, ct)).IsSuccessStatusCode);
        for (var i = 0; i < 40; i++) await broker.PublishAsync(IngestionTests.Inference(domain, "stable", "1.0.0", 100, ok: i % 20 >= 3));
        await IngestionTests.WaitForMetricAsync(client, $"/api/metrics?domain={domain}", "1.0.0", "error_rate", 40, ct);
        Assert.True((await client.PostAsync("/api/alerts/monitoring/start", null, ct)).IsSuccessStatusCode);

        var alerts = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/alerts?domain={domain}", ct),
            a => a.GetArrayLength() > 0, "an alert for the domain");
        var alert = alerts[0];
        Assert.Equal(("CRITICAL", "error_rate", 0.10), (alert.GetProperty("level").GetString(), alert.GetProperty("metric").GetString(),
            alert.GetProperty("threshold").GetDouble()));
        // The monitor may look while the 40 outcomes (6 errors) are still arriving: what it saw of them, 20 or more, is above 10%.
        var value = alert.GetProperty("value").GetDouble();
        Assert.True(value > 0.10 && value <= 6.0 / 20, $"error rate {value}");
        Assert.Contains("critical threshold 10%", alert.GetProperty("message").GetString());

        var body = await received.WaitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.Contains(domain, body);
        Assert.Contains("\"level\":\"CRITICAL\"", body);
        // The event names the model version it is about, so deployment can act on that version's canary or watch.
        Assert.Contains("\"modelVersion\":\"1.0.0\"", body);
    }

    [Fact]
    public async Task A_guardrail_breach_stops_the_experiment_and_raises_an_alert()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        var domain = ExperimentsApiTests.NewDomain();
        var id = (await ExperimentsApiTests.CreateAsync(client, new
        {
            name = "guarded", domain, primaryMetric = "latency_ms", minSamples = 20,
            guardrailMetrics = new[] { new { metric = "error_rate", maxRelativeDegradation = 0.0 } },
            variants = new[] { new { name = "control", modelVersion = "1.0.0" }, new { name = "risky", modelVersion = "1.1.0" } },
        }, ct)).GetProperty("id").GetString();
        await client.PostAsync($"/api/experiments/{id}/start", null, ct);

        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        for (var i = 0; i < 60; i++)
        {
            await broker.PublishAsync(IngestionTests.Inference(domain, "control", "1.0.0", 100 + i % 9));
            await broker.PublishAsync(IngestionTests.Inference(domain, "risky", "1.1.0", 100 + i % 9, ok: i % 2 == 0));
        }

        var stopped = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/experiments/{id}", ct),
            e => e.GetProperty("status").GetString() == "stopped", "the monitor to stop the experiment");
        Assert.Equal("guardrail-breached", stopped.GetProperty("outcome").GetString());
        Assert.Contains("error_rate", stopped.GetProperty("reason").GetString());
        var alerts = await client.GetFromJsonAsync<JsonElement>($"/api/alerts?domain={domain}&level=CRITICAL", ct);
        Assert.Contains(alerts.EnumerateArray(), a => a.GetProperty("experimentId").GetString() == id);
    }

    [Fact]
    public async Task Monitoring_can_be_stopped_and_started()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        try
        {
            await client.PostAsync("/api/alerts/monitoring/stop", null, ct);
            Assert.False((await client.GetFromJsonAsync<JsonElement>("/api/alerts/monitoring", ct)).GetProperty("enabled").GetBoolean());
        }
        finally
        {
            await client.PostAsync("/api/alerts/monitoring/start", null, ct);
        }
        var status = await client.GetFromJsonAsync<JsonElement>("/api/alerts/monitoring", ct);
        Assert.True(status.GetProperty("enabled").GetBoolean());
        Assert.Equal(3000, status.GetProperty("thresholds").GetProperty("criticalLatencyMs").GetDouble());
    }

    [Theory]
    [InlineData("{\"url\":\"ftp://x\"}", "url")]
    [InlineData("{\"url\":\"http://x\",\"minLevel\":\"LOUD\"}", "minLevel")]
    public async Task Bad_webhooks_are_refused(string body, string field)
    {
        var client = factory.CreateClient();
        var response = await client.PostAsync("/api/alerts/webhooks", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static async Task<string> ReceiveAboutAsync(HttpListener listener, string domain)
    {
        while (true)
        {
            var context = await listener.GetContextAsync();
            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            context.Response.StatusCode = 204;
            context.Response.Close();
            if (body.Contains(domain, StringComparison.Ordinal)) return body;
        }
    }
}

public sealed class AlertRulesTests
{
    private static readonly MonitoringOptions Defaults = new();

    [Theory]
    [InlineData(MetricCatalog.ErrorRate, 0.01, "INFO")]
    [InlineData(MetricCatalog.ErrorRate, 0.05, "WARNING")]
    [InlineData(MetricCatalog.ErrorRate, 0.10, "CRITICAL")]
    [InlineData(MetricCatalog.ErrorRate, 0.30, "EMERGENCY")]
    [InlineData(MetricCatalog.LatencyMs, 1499, "INFO")]
    [InlineData(MetricCatalog.LatencyMs, 1500, "WARNING")]
    [InlineData(MetricCatalog.LatencyMs, 3000, "CRITICAL")]
    [InlineData(MetricCatalog.LatencyMs, 12000, "EMERGENCY")]
    public void Values_climb_the_seed_ladder(string metric, double value, string level) =>
        Assert.Equal(level, AlertRules.LevelOf(metric, value, Defaults).Level);

    [Fact]
    public void Alerts_are_raised_on_a_change_of_level_only()
    {
        Assert.Null(AlertRules.Decide("d", "1", MetricCatalog.ErrorRate, 0.01, null, Defaults));
        var critical = AlertRules.Decide("d", "1", MetricCatalog.ErrorRate, 0.12, null, Defaults)!;
        Assert.Equal(("CRITICAL", 0.10), (critical.Level, critical.Threshold));
        Assert.Null(AlertRules.Decide("d", "1", MetricCatalog.ErrorRate, 0.14, "CRITICAL", Defaults));
        var recovered = AlertRules.Decide("d", "1", MetricCatalog.ErrorRate, 0.01, "CRITICAL", Defaults)!;
        Assert.Equal("INFO", recovered.Level);
        Assert.Contains("back to normal (was CRITICAL)", recovered.Message);
    }

    [Fact]
    public void Thresholds_must_be_ordered()
    {
        Assert.True(Defaults.IsValid());
        Assert.False(new MonitoringOptions { WarningErrorRate = 0.2 }.IsValid());
        Assert.False(new MonitoringOptions { IntervalSeconds = 0 }.IsValid());
        Assert.Throws<ArgumentException>(() => AlertRules.LevelOf(MetricCatalog.Accuracy, 1, Defaults));
    }
}
