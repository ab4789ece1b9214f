using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Experimentation.Domain;

namespace DomainPlatform.Experimentation.Tests;

public sealed class SeriesTests(ExperimentationFactory factory) : IClassFixture<ExperimentationFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static InferenceCompleted At(DateTimeOffset at, string domain, string variant, string version, double latency, bool ok = true) =>
        PerformanceTests.At(at, domain, variant, version, latency, ok);

    private async Task PublishAsync(IReadOnlyList<InferenceCompleted> events)
    {
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        using var consumed = ConsumedEvents.Observe(factory.Services);
        foreach (var evt in events) await broker.PublishAsync(evt);
        await consumed.WaitForAsync("the history consumed", [.. events.Select(e => e.EventId)]);
    }

    [Fact]
    public async Task A_known_history_reads_as_exact_series_with_sample_counts_and_trends_and_as_csv()
    {
        var client = factory.CreateClient();
        var domain = ExperimentsApiTests.NewDomain();
        var start = new DateTimeOffset(OutcomeMetrics.BucketOf(DateTimeOffset.UtcNow.AddHours(-2)));
        // Slot 1 (0-20 s): 10 served at 100 ms. Slot 2 (20-40 s): 10 served at 200 ms and 2 failures. Slot 3: nothing.
        var events = new List<InferenceCompleted>();
        for (var i = 0; i < 10; i++) events.Add(At(start.AddSeconds(i), domain, "stable", "1.0.0", 100));
        for (var i = 0; i < 10; i++) events.Add(At(start.AddSeconds(20 + i), domain, "stable", "1.0.0", 200));
        for (var i = 0; i < 2; i++) events.Add(At(start.AddSeconds(30 + i), domain, "stable", "1.0.0", 0, ok: false));
        await PublishAsync(events);

        var range = $"domain={domain}&resolutionSeconds=20&sinceUnixMs={start.ToUnixTimeMilliseconds()}&untilUnixMs={start.AddSeconds(60).ToUnixTimeMilliseconds()}";
        var requests = await client.GetFromJsonAsync<JsonElement>($"/api/metrics/series?{range}&metric=requests", Ct);
        Assert.Equal(20, requests.GetProperty("resolutionSeconds").GetInt32());
        var version = requests.GetProperty("versions").EnumerateArray().Single();
        Assert.Equal("1.0.0", version.GetProperty("modelVersion").GetString());
        var points = version.GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal(new[] { 10.0, 12, 0 }, points.Select(p => p.GetProperty("value").GetDouble()));
        Assert.Equal(new[] { 10L, 12, 0 }, points.Select(p => p.GetProperty("samples").GetInt64()));
        Assert.Equal(start.UtcDateTime.AddSeconds(20), points[1].GetProperty("start").GetDateTime().ToUniversalTime());
        // Least squares over x = 0, 1/180, 2/180 h and y = 10, 12, 0: slope -900 per hour, fitted change -10; halves 10 and 0.
        var trend = version.GetProperty("trend");
        Assert.Equal("falling", trend.GetProperty("direction").GetString());
        Assert.Equal(-900, trend.GetProperty("slopePerHour").GetDouble(), 6);
        Assert.Equal(-10, trend.GetProperty("fittedChange").GetDouble(), 9);
        Assert.Equal(-1, trend.GetProperty("relativeHalfChange").GetDouble(), 12);
        Assert.False(trend.GetProperty("improving").GetBoolean());

        var errors = await client.GetFromJsonAsync<JsonElement>($"/api/metrics/series?{range}&metric=error_rate", Ct);
        var errorPoints = errors.GetProperty("versions")[0].GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal(0, errorPoints[0].GetProperty("value").GetDouble());
        Assert.Equal(2.0 / 12, errorPoints[1].GetProperty("value").GetDouble(), 15);
        Assert.Equal(JsonValueKind.Null, errorPoints[2].GetProperty("value").ValueKind);

        var mean = await client.GetFromJsonAsync<JsonElement>($"/api/metrics/series?{range}&metric=latency_mean_ms", Ct);
        var meanTrend = mean.GetProperty("versions")[0].GetProperty("trend");
        Assert.Equal(("rising", 2), (meanTrend.GetProperty("direction").GetString(), meanTrend.GetProperty("points").GetInt32()));
        Assert.Equal(100, meanTrend.GetProperty("halfChange").GetDouble(), 9);
        Assert.Equal(18000, meanTrend.GetProperty("slopePerHour").GetDouble(), 6);

        var p95 = await client.GetFromJsonAsync<JsonElement>($"/api/metrics/series?{range}&metric=latency_p95_ms", Ct);
        var p95Points = p95.GetProperty("versions")[0].GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal(LatencyHistogram.ValueOf(LatencyHistogram.BinOf(100)), p95Points[0].GetProperty("value").GetDouble(), 12);
        Assert.Equal(LatencyHistogram.ValueOf(LatencyHistogram.BinOf(200)), p95Points[1].GetProperty("value").GetDouble(), 12);
        Assert.Equal(10, p95Points[1].GetProperty("samples").GetInt64());

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/metrics/series?{range}&metric=error_rate");
        request.Headers.Accept.ParseAdd("text/csv");
        using var response = await client.SendAsync(request, Ct);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync(Ct)).Split("\r\n");
        Assert.Equal("domain,model_version,metric,start,value,samples", lines[0]);
        Assert.Equal($"{domain},1.0.0,error_rate,{start.UtcDateTime.AddSeconds(20):yyyy-MM-dd'T'HH:mm:ss'Z'},{(2.0 / 12).ToString("R", System.Globalization.CultureInfo.InvariantCulture)},12", lines[2]);
        Assert.Equal($"{domain},1.0.0,error_rate,{start.UtcDateTime.AddSeconds(40):yyyy-MM-dd'T'HH:mm:ss'Z'},,0", lines[3]);
        Assert.Equal(5, lines.Length);
    }

    [Fact]
    public async Task Versions_across_domains_rank_by_health_or_a_metric_and_export_as_csv()
    {
        var client = factory.CreateClient();
        var (a, b) = ("0a-" + ExperimentsApiTests.NewDomain(), "0b-" + ExperimentsApiTests.NewDomain());
        var start = new DateTimeOffset(OutcomeMetrics.BucketOf(DateTimeOffset.UtcNow.AddHours(-5)));
        var events = new List<InferenceCompleted>();
        for (var i = 0; i < 20; i++)
        {
            events.Add(At(start.AddSeconds(i * 3), a, "stable", "1.0.0", 100));
            events.Add(At(start.AddSeconds(i * 3), b, "stable", "2.0.0", 300));
            events.Add(At(start.AddSeconds(i * 3), b, "canary", "2.1.0", 50));
        }
        // 5 failures of b's stable version, each in a bucket with successes: error rate 0.2 (SLA default 0.05), availability 1.
        for (var i = 0; i < 5; i++) events.Add(At(start.AddSeconds(i * 10 + 1), b, "stable", "2.0.0", 0, ok: false));
        await PublishAsync(events);
        var window = $"windowSeconds=60&untilUnixMs={start.AddSeconds(60).ToUnixTimeMilliseconds()}";

        IEnumerable<JsonElement> Mine(JsonElement view) => view.GetProperty("ranking").EnumerateArray()
            .Where(e => e.GetProperty("version").GetProperty("domain").GetString() is { } d && (d == a || d == b));
        static string Name(JsonElement e) => e.GetProperty("version").GetProperty("domain").GetString()![..2] + "/" + e.GetProperty("version").GetProperty("modelVersion").GetString();

        var health = await client.GetFromJsonAsync<JsonElement>($"/api/metrics/ranking?{window}", Ct);
        Assert.Equal("health", health.GetProperty("metric").GetString());
        var ranked = Mine(health).ToArray();
        Assert.Equal(["0a/1.0.0", "0b/2.1.0", "0b/2.0.0"], ranked.Select(Name));
        Assert.Equal(100, ranked[0].GetProperty("version").GetProperty("healthScore").GetDouble());
        Assert.Equal(ranked[0].GetProperty("rank").GetInt32(), ranked[1].GetProperty("rank").GetInt32());
        // b's stable: error rate 0.05 / 0.2 = 0.25, latency and availability 1: 100 × 2.25 / 3.
        Assert.Equal(75, ranked[2].GetProperty("version").GetProperty("healthScore").GetDouble(), 9);
        Assert.Equal("violated", ranked[2].GetProperty("version").GetProperty("slaState").GetString());
        Assert.Equal(25, ranked[2].GetProperty("version").GetProperty("figures").GetProperty("requests").GetInt64());

        var latency = await client.GetFromJsonAsync<JsonElement>($"/api/metrics/ranking?metric=latency_p95_ms&{window}", Ct);
        Assert.False(latency.GetProperty("higherIsBetter").GetBoolean());
        Assert.Equal(["0b/2.1.0", "0a/1.0.0", "0b/2.0.0"], Mine(latency).Select(Name));
        var stable = await client.GetFromJsonAsync<JsonElement>($"/api/metrics/ranking?metric=error_rate&stableOnly=true&{window}", Ct);
        Assert.Equal(["0a/1.0.0", "0b/2.0.0"], Mine(stable).Select(Name));

        var csv = await client.GetStringAsync($"/api/metrics/ranking?metric=error_rate&format=csv&{window}", Ct);
        var lines = csv.Split("\r\n");
        Assert.Equal("rank,domain,model_version,routes,metric,value,samples,health_score,sla_state,requests,throughput_per_s,error_rate,availability,accuracy,"
            + "latency_mean_ms,latency_p50_ms,latency_p95_ms,latency_p99_ms,cost_per_request,total_cost,currency", lines[0]);
        var row = lines.Single(l => l.Contains($",{b},2.0.0,")).Split(',');
        Assert.Equal(21, row.Length);
        Assert.Equal(["stable", "error_rate", "0.2", "25", "75", "violated", "25"], row[3..10]);
        Assert.Equal("0.2", row[11]);
        Assert.Equal("", row[13]);
        Assert.Equal("300", row[14]);
        Assert.Equal("", lines[^1]);
    }

    [Theory]
    [InlineData("/api/metrics/series?metric=requests", "domain")]
    [InlineData("/api/metrics/series?domain=a&metric=speed", "metric")]
    [InlineData("/api/metrics/series?domain=a&metric=requests&resolutionSeconds=15", "resolutionSeconds")]
    [InlineData("/api/metrics/series?domain=a&metric=requests&resolutionSeconds=10&sinceUnixMs=0&untilUnixMs=86400000", "resolutionSeconds")]
    [InlineData("/api/metrics/series?domain=a&metric=requests&sinceUnixMs=100000&untilUnixMs=100000", "sinceUnixMs")]
    [InlineData("/api/metrics/series?domain=a&metric=requests&format=xml", "format")]
    [InlineData("/api/metrics/ranking?metric=speed", "metric")]
    [InlineData("/api/metrics/ranking?windowSeconds=7", "windowSeconds")]
    public async Task Bad_queries_are_refused_naming_the_field(string url, string field)
    {
        using var response = await factory.CreateClient().GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }
}
