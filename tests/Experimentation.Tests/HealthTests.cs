using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Experimentation.Domain;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>Health scores, trends and SLA violations against known outcome histories (the monitor looks every second, 20 samples needed).</summary>
public sealed class HealthTests(MonitoringFactory factory) : IClassFixture<MonitoringFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The p95 the service reads from its histogram for these latencies (the bin of the exact one's sample).</summary>
    private static double HistogramP95(IEnumerable<double> latencies)
    {
        var bins = new Dictionary<int, long>();
        foreach (var l in latencies) LatencyHistogram.Merge(bins, LatencyHistogram.BinOf(l), 1);
        return LatencyHistogram.Percentile(bins, 95)!.Value;
    }

    private async Task PublishAsync(params IEnumerable<DomainPlatform.Contracts.IntegrationEvent>[] batches)
    {
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        using var consumed = ConsumedEvents.Observe(factory.Services);
        // In order: feedback after the requests it judges.
        foreach (var batch in batches)
        {
            var events = batch.ToArray();
            foreach (var evt in events) await broker.PublishAsync(evt);
            await consumed.WaitForAsync("a batch of the history consumed", [.. events.Select(e => e.EventId)]);
        }
    }

    [Fact]
    public async Task A_breached_sla_is_recorded_with_its_figures_raised_as_alerts_and_closed_when_met_again()
    {
        var client = factory.CreateClient();
        // The Redis database of this run may hold a pause left by an earlier run's fuzzing of /monitoring/stop.
        Assert.True((await client.PostAsync("/api/alerts/monitoring/start", null, Ct)).IsSuccessStatusCode);
        var domain = ExperimentsApiTests.NewDomain();
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        var probe = await broker.ListenAsync("domainplatform.alert-raised");
        // 40 requests in one bucket a few seconds ago: 4 failed; of the 36 served 30 took 100 ms and 6 took 900 ms. 20 judged, 12 right.
        var at = DateTimeOffset.UtcNow.AddSeconds(-5);
        var requests = Enumerable.Range(0, 40).Select(i => PerformanceTests.At(at, domain, "stable", "1.0.0", i < 30 ? 100 : 900, ok: i is < 36)).ToArray();
        var feedback = requests.Take(20).Select((r, i) => new FeedbackReceived(r.RequestId, null, null, null, i < 12, null)).ToArray();
        await PublishAsync(requests, feedback);

        // Targets set once the history is in, so the monitor's first look at the domain sees all of it.
        var put = await client.PutAsJsonAsync($"/api/alerts/sla/{domain}",
            new { latencyP95Ms = 500, maxErrorRate = 0.05, minAvailability = 0.99, minAccuracy = 0.8, windowSeconds = 300 }, Ct);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var sla = await client.GetFromJsonAsync<JsonElement>($"/api/alerts/sla/{domain}", Ct);
        Assert.Equal((500.0, false, 300), (sla.GetProperty("latencyP95Ms").GetDouble(), sla.GetProperty("isDefault").GetBoolean(), sla.GetProperty("windowSeconds").GetInt32()));

        var violations = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/alerts/sla-violations?domain={domain}&open=true", Ct),
            v => v.GetArrayLength() >= 3, "three SLA violations");
        var byTarget = violations.EnumerateArray().ToDictionary(v => v.GetProperty("target").GetString()!);
        Assert.Equal(["accuracy", "error_rate", "latency_p95_ms"], byTarget.Keys.Order());
        var p95 = HistogramP95(Enumerable.Repeat(100.0, 30).Concat(Enumerable.Repeat(900.0, 6)));
        Assert.InRange(p95, 891, 909);
        Assert.Equal((p95, 500.0, 40L, "1.0.0"), Figures(byTarget["latency_p95_ms"]));
        Assert.Equal((0.1, 0.05, 40L, "1.0.0"), Figures(byTarget["error_rate"]));
        Assert.Equal((0.6, 0.8, 20L, "1.0.0"), Figures(byTarget["accuracy"]));
        Assert.Equal("error rate 10% above the SLA's 5% over 300 s (40 requests)", byTarget["error_rate"].GetProperty("reason").GetString());

        // Each raised as an alert through the alert history and AlertRaised, naming the version.
        var alerts = await client.GetFromJsonAsync<JsonElement>($"/api/alerts?domain={domain}", Ct);
        var slaAlerts = alerts.EnumerateArray().Where(a => a.GetProperty("metric").GetString()!.StartsWith("sla:", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["sla:accuracy", "sla:error_rate", "sla:latency_p95_ms"], slaAlerts.Select(a => a.GetProperty("metric").GetString()).Order());
        Assert.All(slaAlerts, a => Assert.Equal(("WARNING", "1.0.0"), (a.GetProperty("level").GetString(), a.GetProperty("modelVersion").GetString())));
        Assert.Equal(byTarget["error_rate"].GetProperty("alertId").GetString(), slaAlerts.Single(a => a.GetProperty("metric").GetString() == "sla:error_rate").GetProperty("id").GetString());
        // Each look takes what has arrived since the last (the probe queue is drained), so the events are gathered across looks:
        // published in separate outbox batches, they came in separate looks on a busy machine, and no single look held all three.
        var published = new List<JsonElement>();
        await Eventually.GetAsync(async () =>
        {
            published.AddRange((await broker.TakeAsync(probe)).Where(m => m.GetProperty("domain").GetString() == domain));
            return published.Count;
        }, count => count >= 3, "the three AlertRaised events");
        Assert.Contains(published, m => m.GetProperty("metric").GetString() == "sla:latency_p95_ms" && m.GetProperty("modelVersion").GetString() == "1.0.0"
            && m.GetProperty("threshold").GetDouble() == 500);

        // The health score: accuracy 0.6 / 0.8, latency 500 / p95, errors 0.05 / 0.1, availability met.
        var health = await client.GetFromJsonAsync<JsonElement>($"/api/metrics/health?domain={domain}", Ct);
        var version = health.GetProperty("versions").EnumerateArray().Single();
        Assert.Equal("violated", version.GetProperty("state").GetString());
        Assert.Equal(100 * (0.75 + 500 / p95 + 0.5 + 1) / 4, version.GetProperty("score").GetDouble(), 9);

        // Looser targets and no accuracy target: the next look finds them met (accuracy no longer a target) and closes the violations with INFO alerts.
        (await client.PutAsJsonAsync($"/api/alerts/sla/{domain}", new { latencyP95Ms = 1000, maxErrorRate = 0.2, minAvailability = 0.99 }, Ct)).EnsureSuccessStatusCode();
        await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/alerts/sla-violations?domain={domain}&open=true", Ct),
            v => v.GetArrayLength() == 0, "the violations to close");
        var closed = await client.GetFromJsonAsync<JsonElement>($"/api/alerts/sla-violations?domain={domain}&open=false", Ct);
        Assert.Equal(3, closed.GetArrayLength());
        Assert.All(closed.EnumerateArray(), v => Assert.NotEqual(JsonValueKind.Null, v.GetProperty("resolvedAt").ValueKind));
        var info = await client.GetFromJsonAsync<JsonElement>($"/api/alerts?domain={domain}&level=INFO", Ct);
        Assert.Equal(3, info.EnumerateArray().Count(a => a.GetProperty("metric").GetString()!.StartsWith("sla:", StringComparison.Ordinal)));
        Assert.Contains(info.EnumerateArray(), a => a.GetProperty("message").GetString()!.Contains("accuracy is no longer an SLA target", StringComparison.Ordinal));
        Assert.Contains(info.EnumerateArray(), a => a.GetProperty("message").GetString()!.Contains("error_rate is within the SLA again", StringComparison.Ordinal));
        var healthy = await client.GetFromJsonAsync<JsonElement>($"/api/metrics/health?domain={domain}", Ct);
        Assert.Equal("met", healthy.GetProperty("versions")[0].GetProperty("state").GetString());
        // Accuracy without a target counts as itself: (0.6 + 1 + 1 + 1) / 4.
        Assert.Equal(90, healthy.GetProperty("versions")[0].GetProperty("score").GetDouble(), 9);
    }

    private static (double, double, long, string) Figures(JsonElement v) =>
        (v.GetProperty("value").GetDouble(), v.GetProperty("threshold").GetDouble(), v.GetProperty("requests").GetInt64(), v.GetProperty("modelVersion").GetString()!);

    [Fact]
    public async Task The_trend_scores_each_slot_of_a_known_history()
    {
        var client = factory.CreateClient();
        var domain = ExperimentsApiTests.NewDomain();
        var start = new DateTimeOffset(OutcomeMetrics.BucketOf(DateTimeOffset.UtcNow.AddHours(-2)));
        // First minute: 20 served at 50 ms, 10 of them judged right. Second: 10 all failed in its first bucket, 10 served at 400 ms in its second.
        var good = Enumerable.Range(0, 20).Select(i => PerformanceTests.At(start.AddSeconds(i), domain, "stable", "2.0.0", 50)).ToArray();
        var bad = Enumerable.Range(0, 20).Select(i => i < 10
            ? PerformanceTests.At(start.AddSeconds(60 + i), domain, "stable", "2.0.0", 0, ok: false)
            : PerformanceTests.At(start.AddSeconds(60 + i), domain, "stable", "2.0.0", 400)).ToArray();
        await PublishAsync([.. good, .. bad], good.Take(10).Select(r => new FeedbackReceived(r.RequestId, null, null, null, true, null)));
        (await client.PutAsJsonAsync($"/api/alerts/sla/{domain}", new { latencyP95Ms = 200, maxErrorRate = 0.1, minAvailability = 0.9, windowSeconds = 60 }, Ct)).EnsureSuccessStatusCode();

        var since = start.ToUnixTimeMilliseconds();
        var trend = await client.GetFromJsonAsync<JsonElement>(
            $"/api/metrics/health/trend?domain={domain}&sinceUnixMs={since}&untilUnixMs={since + 180_000}&resolutionSeconds=60", Ct);
        var points = trend.GetProperty("versions").EnumerateArray().Single().GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal(2, points.Length);
        Assert.Equal(start.UtcDateTime, points[0].GetProperty("start").GetDateTime().ToUniversalTime());
        Assert.Equal((100.0, "met", 20L), (points[0].GetProperty("score").GetDouble(), points[0].GetProperty("state").GetString(), points[0].GetProperty("requests").GetInt64()));
        // No feedback in the second minute: latency 200 / p95 (400), errors 0.1 / 0.5, availability (1 - 0.9) / (1 - 0.5).
        var p95 = HistogramP95(Enumerable.Repeat(400.0, 10));
        Assert.Equal(100 * (200 / p95 + 0.2 + 0.2) / 3, points[1].GetProperty("score").GetDouble(), 9);
        Assert.Equal(("violated", 0.5, 0.5), (points[1].GetProperty("state").GetString(), points[1].GetProperty("errorRate").GetDouble(), points[1].GetProperty("availability").GetDouble()));

        // The same window read as one: 40 requests, a quarter failed, one interval of four with traffic down.
        var whole = await client.GetFromJsonAsync<JsonElement>($"/api/metrics/health?domain={domain}&windowSeconds=120&untilUnixMs={since + 120_000}", Ct);
        var figures = whole.GetProperty("versions")[0].GetProperty("figures");
        Assert.Equal((40L, 0.25, 0.75), (figures.GetProperty("requests").GetInt64(), figures.GetProperty("errorRate").GetDouble(), figures.GetProperty("availability").GetDouble()));
    }

    [Theory]
    [InlineData("{\"maxErrorRate\":0.05,\"minAvailability\":0.99}", "latencyP95Ms")]
    [InlineData("{\"latencyP95Ms\":-1,\"maxErrorRate\":0.05,\"minAvailability\":0.99}", "latencyP95Ms")]
    [InlineData("{\"latencyP95Ms\":500,\"maxErrorRate\":1,\"minAvailability\":0.99}", "maxErrorRate")]
    [InlineData("{\"latencyP95Ms\":500,\"maxErrorRate\":0.05,\"minAvailability\":0}", "minAvailability")]
    [InlineData("{\"latencyP95Ms\":500,\"maxErrorRate\":0.05,\"minAvailability\":0.99,\"minAccuracy\":2}", "minAccuracy")]
    [InlineData("{\"latencyP95Ms\":500,\"maxErrorRate\":0.05,\"minAvailability\":0.99,\"windowSeconds\":5}", "windowSeconds")]
    public async Task Bad_sla_targets_are_refused_naming_the_field(string body, string field)
    {
        var client = factory.CreateClient();
        var domain = ExperimentsApiTests.NewDomain();
        Assert.Null(await ProblemAssertions.FieldRefusedAsync(client, HttpMethod.Put, $"/api/alerts/sla/{domain}",
            new StringContent(body, Encoding.UTF8, "application/json"), field, Ct));
        // Nothing was kept: the domain reads the defaults.
        var sla = await client.GetFromJsonAsync<JsonElement>($"/api/alerts/sla/{domain}", Ct);
        Assert.True(sla.GetProperty("isDefault").GetBoolean());
        Assert.Equal(3000, sla.GetProperty("latencyP95Ms").GetDouble());
    }

    [Fact]
    public async Task Sla_targets_can_be_removed_and_bad_queries_are_refused()
    {
        var client = factory.CreateClient();
        var domain = ExperimentsApiTests.NewDomain();
        (await client.PutAsJsonAsync($"/api/alerts/sla/{domain}", new { latencyP95Ms = 800, maxErrorRate = 0.01, minAvailability = 0.999 }, Ct)).EnsureSuccessStatusCode();
        Assert.Contains((await client.GetFromJsonAsync<JsonElement>("/api/alerts/sla", Ct)).EnumerateArray(), s => s.GetProperty("domain").GetString() == domain);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/alerts/sla/{domain}", Ct)).StatusCode);
        using var again = await client.DeleteAsync($"/api/alerts/sla/{domain}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
        foreach (var (query, field) in new[]
        {
            ("/api/metrics/health", "domain"), ($"/api/metrics/health?domain={domain}&windowSeconds=7", "windowSeconds"),
            ($"/api/metrics/health/trend?domain={domain}&resolutionSeconds=15", "resolutionSeconds"),
            ($"/api/metrics/health/trend?domain={domain}&resolutionSeconds=10&sinceUnixMs=0", "resolutionSeconds"),
            ($"/api/metrics/health/trend?domain={domain}&sinceUnixMs=2000000000000&untilUnixMs=1000000000000", "sinceUnixMs"),
            ("/api/alerts/sla-violations?limit=0", "limit"),
        })
        {
            using var response = await client.GetAsync(query, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{query}: {problem}");
        }
    }
}
