using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Experimentation.Domain;
using DomainPlatform.Experimentation.Monitoring;
using DomainPlatform.Experimentation.Reports;
using DomainPlatform.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace DomainPlatform.Experimentation.Tests;

/// <summary>Reports against known histories, on demand and from a schedule the test ticks itself (prices 0.5 and 1.5 per 1000 tokens).</summary>
public sealed class ReportsTests(PricedFactory factory) : IClassFixture<PricedFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task PublishAsync(IReadOnlyList<InferenceCompleted> events)
    {
        using var broker = new BrokerPublisher(factory.VirtualHost.Name);
        using var consumed = ConsumedEvents.Observe(factory.Services);
        foreach (var evt in events) await broker.PublishAsync(evt);
        await consumed.WaitForAsync("the history consumed", [.. events.Select(e => e.EventId)]);
    }

    private static async Task<JsonElement> CompletedAsync(HttpClient client, string id)
    {
        var report = await Eventually.GetAsync(() => client.GetFromJsonAsync<JsonElement>($"/api/reports/{id}", Ct),
            r => r.GetProperty("status").GetString() is "completed" or "failed", "the report generated");
        Assert.Equal("completed", report.GetProperty("status").GetString());
        Assert.Equal(1, report.GetProperty("progress").GetDouble());
        return report;
    }

    [Fact]
    public async Task A_domain_report_on_a_known_history_holds_exact_health_figures_violations_and_trends_in_json_csv_and_html()
    {
        var client = factory.CreateClient();
        var domain = ExperimentsApiTests.NewDomain();
        (await client.PutAsJsonAsync($"/api/alerts/sla/{domain}",
            new { latencyP95Ms = 150, maxErrorRate = 0.05, minAvailability = 0.5, windowSeconds = 300 }, Ct)).EnsureSuccessStatusCode();
        // Five past buckets: the stable version 5 requests at 100 ms in each; the canary 5 at 200 ms and one failure in each.
        var start = new DateTimeOffset(OutcomeMetrics.BucketOf(DateTimeOffset.UtcNow)).AddSeconds(-60);
        var events = new List<InferenceCompleted>();
        for (var i = 0; i < 25; i++)
        {
            events.Add(PerformanceTests.At(start.AddSeconds(2 * i), domain, "stable", "1.0.0", 100));
            events.Add(PerformanceTests.At(start.AddSeconds(2 * i), domain, "canary", "1.1.0", 200));
        }
        for (var i = 0; i < 5; i++) events.Add(PerformanceTests.At(start.AddSeconds(10 * i + 1), domain, "canary", "1.1.0", 0, ok: false));
        await PublishAsync(events);
        // A monitor look over the SLA's 300 s: the canary breaches latency and error rate.
        await factory.Services.GetRequiredService<SlaWatch>().LookOnceAsync(Ct);
        var violations = await client.GetFromJsonAsync<JsonElement>($"/api/alerts/sla-violations?domain={domain}", Ct);
        Assert.Equal(["error_rate", "latency_p95_ms"], violations.EnumerateArray().Select(v => v.GetProperty("target").GetString()).Order());

        var until = start.AddSeconds(120);
        using var created = await client.PostAsJsonAsync("/api/reports",
            new { scope = "domain", domain, sinceUnixMs = start.ToUnixTimeMilliseconds(), untilUnixMs = until.ToUnixTimeMilliseconds() }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var queued = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var id = queued.GetProperty("id").GetString()!;
        Assert.Equal($"/api/reports/{id}", created.Headers.Location?.OriginalString);
        Assert.Contains(queued.GetProperty("status").GetString(), new[] { "queued", "running", "completed" });
        await CompletedAsync(client, id);
        var listed = await client.GetFromJsonAsync<JsonElement>($"/api/reports?domain={domain}", Ct);
        Assert.Equal([id], listed.EnumerateArray().Select(r => r.GetProperty("id").GetString()));

        var content = await client.GetFromJsonAsync<JsonElement>($"/api/reports/{id}/content", Ct);
        Assert.Equal((120, 10), (content.GetProperty("windowSeconds").GetInt32(), content.GetProperty("trendResolutionSeconds").GetInt32()));
        var report = content.GetProperty("domains").EnumerateArray().Single();
        Assert.Equal(domain, report.GetProperty("domain").GetString());
        Assert.False(report.GetProperty("defaultSla").GetBoolean());
        var versions = report.GetProperty("versions").EnumerateArray().ToDictionary(v => v.GetProperty("modelVersion").GetString()!);
        Assert.Equal(["1.0.0", "1.1.0"], versions.Keys);

        var stable = versions["1.0.0"];
        Assert.Equal((100.0, "met"), (stable.GetProperty("healthScore").GetDouble(), stable.GetProperty("slaState").GetString()));
        Assert.Equal(0, stable.GetProperty("violations").GetArrayLength());
        var sf = stable.GetProperty("figures");
        Assert.Equal(25, sf.GetProperty("requests").GetInt64());
        Assert.Equal(25.0 / 120, sf.GetProperty("throughputPerSecond").GetDouble(), 15);
        Assert.Equal(0, sf.GetProperty("errorRate").GetDouble());
        var v100 = LatencyHistogram.ValueOf(LatencyHistogram.BinOf(100));
        Assert.Equal(v100, sf.GetProperty("latency").GetProperty("p99Ms").GetDouble(), 12);
        Assert.Equal((20 * 0.5 + 40 * 1.5) / 1000, sf.GetProperty("cost").GetProperty("costPerRequest").GetDouble(), 15);
        Assert.Equal(25 * 0.07, sf.GetProperty("cost").GetProperty("totalCost").GetDouble(), 12);
        // Throughput per 10-s slot: 0.5 in the first five, 0 in the last seven; least squares over x = k/360 h.
        double[] ys = [.. Enumerable.Repeat(0.5, 5), .. Enumerable.Repeat(0.0, 7)];
        var xs = Enumerable.Range(0, 12).Select(k => k / 360.0).ToArray();
        var slope = xs.Zip(ys).Sum(p => (p.First - xs.Average()) * (p.Second - ys.Average())) / xs.Sum(x => (x - xs.Average()) * (x - xs.Average()));
        var throughput = stable.GetProperty("trends").GetProperty("throughput");
        Assert.Equal(("falling", false), (throughput.GetProperty("direction").GetString(), throughput.GetProperty("improving").GetBoolean()));
        Assert.Equal(slope, throughput.GetProperty("slopePerHour").GetDouble(), 9);
        Assert.Equal(-1, throughput.GetProperty("relativeHalfChange").GetDouble(), 12);

        var canary = versions["1.1.0"];
        var v200 = LatencyHistogram.ValueOf(LatencyHistogram.BinOf(200));
        // Latency 150 / p95, error rate 0.05 / (5 / 30), availability 1 (every bucket served some).
        Assert.Equal(100 * (150 / v200 + 0.3 + 1) / 3, canary.GetProperty("healthScore").GetDouble(), 9);
        Assert.Equal("violated", canary.GetProperty("slaState").GetString());
        Assert.Equal(["latency_p95_ms", "error_rate"], canary.GetProperty("breaches").EnumerateArray().Select(b => b.GetProperty("target").GetString()));
        Assert.Equal(["error_rate", "latency_p95_ms"], canary.GetProperty("violations").EnumerateArray().Select(v => v.GetProperty("target").GetString()).Order());
        var cf = canary.GetProperty("figures");
        Assert.Equal((30L, 5L), (cf.GetProperty("requests").GetInt64(), cf.GetProperty("errors").GetInt64()));
        Assert.Equal(5.0 / 30, cf.GetProperty("errorRate").GetDouble(), 15);
        var errorTrend = canary.GetProperty("trends").GetProperty("error_rate");
        Assert.Equal(("flat", 5), (errorTrend.GetProperty("direction").GetString(), errorTrend.GetProperty("points").GetInt32()));
        Assert.Equal(0, errorTrend.GetProperty("slopePerHour").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, canary.GetProperty("trends").GetProperty("accuracy").GetProperty("slopePerHour").ValueKind);

        using var csvResponse = await client.GetAsync($"/api/reports/{id}/content?format=csv", Ct);
        Assert.Equal("text/csv", csvResponse.Content.Headers.ContentType?.MediaType);
        var lines = (await csvResponse.Content.ReadAsStringAsync(Ct)).Split("\r\n");
        Assert.Equal(4, lines.Length);
        var header = lines[0].Split(',');
        Assert.Equal(["scope", "domain", "model_version", "routes", "window_start", "window_end", "health_score", "sla_state", "breaches", "violations", "requests"], header[..11]);
        Assert.Equal(23 + 3 * 5, header.Length);
        var canaryRow = lines[2].Split(',');
        Assert.Equal(header.Length, canaryRow.Length);
        Assert.Equal(["domain", domain, "1.1.0", "canary", "violated", "latency_p95_ms;error_rate", "2", "30", "5", "0.25"],
            [canaryRow[0], canaryRow[1], canaryRow[2], canaryRow[3], canaryRow[7], canaryRow[8], canaryRow[9], canaryRow[10], canaryRow[11], canaryRow[12]]);
        Assert.Equal("", lines[3]);

        using var htmlRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/reports/{id}/content");
        htmlRequest.Headers.Accept.ParseAdd("text/html");
        using var htmlResponse = await client.SendAsync(htmlRequest, Ct);
        Assert.Equal("text/html", htmlResponse.Content.Headers.ContentType?.MediaType);
        var html = await htmlResponse.Content.ReadAsStringAsync(Ct);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains($"<h1>Report: {domain}</h1>", html);
        Assert.Contains("@media print", html);
        Assert.Contains("<td class=\"violated\">violated</td>", html);
    }

    [Fact]
    public async Task A_daily_schedule_run_by_a_tick_queues_one_report_of_the_day_ending_at_its_run_and_moves_to_the_next_day()
    {
        var client = factory.CreateClient();
        var domain = ExperimentsApiTests.NewDomain();
        var hour = (DateTime.UtcNow.Hour + 12) % 24;
        using var created = await client.PostAsJsonAsync("/api/reports/schedules", new { scope = "domain", domain, cadence = "daily", hourUtc = hour }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var schedule = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var scheduleId = schedule.GetProperty("id").GetString()!;
        var nextRun = schedule.GetProperty("nextRunAt").GetDateTime().ToUniversalTime();
        Assert.Equal((hour, 0, 0), (nextRun.Hour, nextRun.Minute, nextRun.Second));
        Assert.InRange(nextRun - DateTime.UtcNow, TimeSpan.FromHours(11), TimeSpan.FromHours(13));
        Assert.Equal(JsonValueKind.Null, schedule.GetProperty("dayOfWeek").ValueKind);

        // 12 requests at the start of the day the first run reports on (about 12 hours ago).
        var dayStart = new DateTimeOffset(nextRun.AddDays(-1));
        var events = Enumerable.Range(0, 12).Select(i => PerformanceTests.At(dayStart.AddSeconds(i), domain, "stable", "2.0.0", 80)).ToArray();
        await PublishAsync(events);

        var scheduler = factory.Services.GetRequiredService<ReportScheduler>();
        Assert.DoesNotContain(await scheduler.TickAsync(new DateTimeOffset(nextRun).AddSeconds(-1), Ct), r => r.ScheduleId == Guid.Parse(scheduleId));
        var queued = await scheduler.TickAsync(new DateTimeOffset(nextRun).AddSeconds(1), Ct);
        var run = Assert.Single(queued, r => r.ScheduleId == Guid.Parse(scheduleId));
        // The same occurrence runs once.
        Assert.DoesNotContain(await scheduler.TickAsync(new DateTimeOffset(nextRun).AddSeconds(2), Ct), r => r.ScheduleId == Guid.Parse(scheduleId));

        var after = await client.GetFromJsonAsync<JsonElement>($"/api/reports/schedules/{scheduleId}", Ct);
        Assert.Equal(nextRun.AddDays(1), after.GetProperty("nextRunAt").GetDateTime().ToUniversalTime());
        Assert.Equal(nextRun, after.GetProperty("lastRunAt").GetDateTime().ToUniversalTime());
        Assert.Equal(run.Id.ToString(), after.GetProperty("lastReportId").GetString());

        var report = await CompletedAsync(client, run.Id.ToString());
        Assert.Equal(scheduleId, report.GetProperty("scheduleId").GetString());
        Assert.Equal(dayStart.UtcDateTime, report.GetProperty("windowStart").GetDateTime().ToUniversalTime());
        Assert.Equal(nextRun, report.GetProperty("windowEnd").GetDateTime().ToUniversalTime());
        var content = await client.GetFromJsonAsync<JsonElement>($"/api/reports/{run.Id}/content?format=json", Ct);
        Assert.Equal((86400, 3600), (content.GetProperty("windowSeconds").GetInt32(), content.GetProperty("trendResolutionSeconds").GetInt32()));
        var version = content.GetProperty("domains").EnumerateArray().Single().GetProperty("versions").EnumerateArray().Single();
        Assert.Equal("2.0.0", version.GetProperty("modelVersion").GetString());
        Assert.Equal(12, version.GetProperty("figures").GetProperty("requests").GetInt64());
        Assert.Equal(12.0 / 86400, version.GetProperty("figures").GetProperty("throughputPerSecond").GetDouble(), 15);
        // The default SLA judges 12 requests as too few (Monitoring:MinimumSamples 20).
        Assert.Equal("insufficient-data", version.GetProperty("slaState").GetString());

        using var weekly = await client.PostAsJsonAsync("/api/reports/schedules", new { scope = "platform", cadence = "weekly", hourUtc = 6, dayOfWeek = "Friday" }, Ct);
        Assert.Equal(HttpStatusCode.Created, weekly.StatusCode);
        var friday = await weekly.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("friday", friday.GetProperty("dayOfWeek").GetString());
        var fridayRun = friday.GetProperty("nextRunAt").GetDateTime().ToUniversalTime();
        Assert.Equal((DayOfWeek.Friday, 6), (fridayRun.DayOfWeek, fridayRun.Hour));
        Assert.InRange(fridayRun - DateTime.UtcNow, TimeSpan.Zero, TimeSpan.FromDays(7));
        var all = await client.GetFromJsonAsync<JsonElement>("/api/reports/schedules", Ct);
        Assert.Contains(friday.GetProperty("id").GetString(), all.EnumerateArray().Select(x => x.GetProperty("id").GetString()));
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/reports/schedules/{friday.GetProperty("id").GetString()}", Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/reports/schedules/{scheduleId}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/reports/schedules/{scheduleId}", Ct)).StatusCode);
    }

    [Fact]
    public async Task An_unknown_report_is_404_and_a_platform_report_names_every_domain_with_traffic()
    {
        var client = factory.CreateClient();
        using var missing = await client.GetAsync($"/api/reports/{Guid.NewGuid()}/content", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);

        var (a, b) = (ExperimentsApiTests.NewDomain(), ExperimentsApiTests.NewDomain());
        var start = new DateTimeOffset(OutcomeMetrics.BucketOf(DateTimeOffset.UtcNow.AddHours(-7)));
        await PublishAsync([PerformanceTests.At(start, a, "stable", "1.0.0", 10), PerformanceTests.At(start.AddSeconds(5), b, "stable", "3.0.0", 10)]);
        using var created = await client.PostAsJsonAsync("/api/reports",
            new { scope = "platform", windowSeconds = 60, untilUnixMs = start.AddSeconds(60).ToUnixTimeMilliseconds() }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
        await CompletedAsync(client, id);
        var content = await client.GetFromJsonAsync<JsonElement>($"/api/reports/{id}/content", Ct);
        Assert.Equal("platform", content.GetProperty("scope").GetString());
        var domains = content.GetProperty("domains").EnumerateArray().Select(d => d.GetProperty("domain").GetString()).ToArray();
        Assert.Contains(a, domains);
        Assert.Contains(b, domains);
        var html = await client.GetStringAsync($"/api/reports/{id}/content?format=html", Ct);
        Assert.Contains("<h1>Platform report</h1>", html);
    }

    [Fact]
    public async Task The_openapi_document_names_the_csv_and_html_forms_and_the_problems()
    {
        var doc = await factory.CreateClient().GetFromJsonAsync<JsonElement>("/openapi/v1.json", Ct);
        var paths = doc.GetProperty("paths");
        JsonElement Responses(string path, string method) => paths.GetProperty(path).GetProperty(method).GetProperty("responses");
        var content = Responses("/api/reports/{id}/content", "get");
        Assert.Equal(["application/json", "text/csv", "text/html"], content.GetProperty("200").GetProperty("content").EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(["200", "400", "404", "409"], content.EnumerateObject().Select(p => p.Name).Order());
        foreach (var path in new[] { "/api/metrics/series", "/api/metrics/ranking" })
            Assert.Equal(["application/json", "text/csv"], Responses(path, "get").GetProperty("200").GetProperty("content").EnumerateObject().Select(p => p.Name).Order());
        Assert.True(Responses("/api/reports", "post").TryGetProperty("202", out _));
        Assert.True(Responses("/api/reports/schedules", "post").TryGetProperty("201", out _));
    }

    [Theory]
    [InlineData("{}", "scope")]
    [InlineData("{\"scope\":\"team\"}", "scope")]
    [InlineData("{\"scope\":\"domain\"}", "domain")]
    [InlineData("{\"scope\":\"platform\",\"domain\":\"law\"}", "domain")]
    [InlineData("{\"scope\":\"platform\",\"windowSeconds\":15}", "windowSeconds")]
    [InlineData("{\"scope\":\"platform\",\"windowSeconds\":60,\"sinceUnixMs\":1}", "windowSeconds")]
    [InlineData("{\"scope\":\"platform\",\"sinceUnixMs\":100000,\"untilUnixMs\":100000}", "sinceUnixMs")]
    [InlineData("{\"scope\":\"platform\",\"sinceUnixMs\":0,\"untilUnixMs\":3000000000}", "sinceUnixMs")]
    public async Task Bad_report_requests_are_refused_naming_the_field(string body, string field)
    {
        using var response = await factory.CreateClient().PostAsync("/api/reports", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);
        await AssertProblemAsync(response, field);
    }

    [Theory]
    [InlineData("{\"scope\":\"platform\"}", "cadence")]
    [InlineData("{\"scope\":\"platform\",\"cadence\":\"hourly\"}", "cadence")]
    [InlineData("{\"scope\":\"platform\",\"cadence\":\"daily\",\"hourUtc\":24}", "hourUtc")]
    [InlineData("{\"scope\":\"platform\",\"cadence\":\"weekly\",\"dayOfWeek\":\"someday\"}", "dayOfWeek")]
    [InlineData("{\"scope\":\"platform\",\"cadence\":\"weekly\",\"dayOfWeek\":\"3\"}", "dayOfWeek")]
    [InlineData("{\"scope\":\"platform\",\"cadence\":\"daily\",\"dayOfWeek\":\"monday\"}", "dayOfWeek")]
    public async Task Bad_schedules_are_refused_naming_the_field(string body, string field)
    {
        using var response = await factory.CreateClient().PostAsync("/api/reports/schedules", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);
        await AssertProblemAsync(response, field);
    }

    [Theory]
    [InlineData("/api/reports?limit=0", "limit")]
    [InlineData("/api/reports?scope=team", "scope")]
    [InlineData("/api/reports/00000000-0000-0000-0000-000000000001/content?format=pdf", "format")]
    public async Task Bad_report_queries_are_refused_naming_the_field(string url, string field)
    {
        using var response = await factory.CreateClient().GetAsync(url, Ct);
        await AssertProblemAsync(response, field);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }
}

public sealed class ReportRulesTests
{
    [Theory]
    [InlineData("2026-12-01T20:30:00Z", "daily", 6, DayOfWeek.Monday, "2026-12-02T06:00:00Z")]
    [InlineData("2026-12-01T05:59:59Z", "daily", 6, DayOfWeek.Monday, "2026-12-01T06:00:00Z")]
    [InlineData("2026-12-01T06:00:00Z", "daily", 6, DayOfWeek.Monday, "2026-12-02T06:00:00Z")]
    [InlineData("2026-12-01T20:30:00Z", "weekly", 0, DayOfWeek.Monday, "2026-12-07T00:00:00Z")]
    [InlineData("2026-12-01T20:30:00Z", "weekly", 22, DayOfWeek.Tuesday, "2026-12-01T22:00:00Z")]
    [InlineData("2026-12-01T22:00:00Z", "weekly", 22, DayOfWeek.Tuesday, "2026-12-08T22:00:00Z")]
    public void Next_run_is_the_first_occurrence_strictly_after(string after, string cadence, int hour, DayOfWeek day, string expected)
    {
        var next = ReportCadences.NextRun(cadence, hour, day, DateTimeOffset.Parse(after, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture).UtcDateTime, next);
        Assert.Equal(DateTimeKind.Utc, next.Kind);
    }

    [Fact]
    public void A_run_reports_on_the_day_or_week_ending_then_with_trends_over_24_slots()
    {
        var at = new DateTime(2026, 12, 7, 0, 0, 0, DateTimeKind.Utc);
        Assert.Equal((at.AddDays(-1), at), ReportCadences.WindowOf("daily", at));
        Assert.Equal((at.AddDays(-7), at), ReportCadences.WindowOf("weekly", at));
        Assert.Equal(3600, ReportRules.TrendResolution(86400));
        Assert.Equal(25200, ReportRules.TrendResolution(604800));
        Assert.Equal(10, ReportRules.TrendResolution(120));
        Assert.Equal(20, ReportRules.TrendResolution(300));
    }

    [Fact]
    public void Html_escapes_what_it_shows()
    {
        var figures = WindowSummary.Summarise([], [], 60, new TokenPrice(0, 0), "USD");
        var content = new ReportContent(Guid.NewGuid(), "domain", "<script>x</script>", DateTime.UnixEpoch, DateTime.UnixEpoch.AddMinutes(1), 60, 10, DateTime.UnixEpoch,
            [new DomainReport("<script>x</script>", new SlaTargets(100, 0.05, 0.99, null, 60), true,
                [new VersionReport("1.0.0\"", [], null, HealthStates.NoData, [], [], figures, new Dictionary<string, SeriesTrend>())])]);
        var html = ReportRules.ToHtml(content);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;x&lt;/script&gt;", html);
        var csv = ReportRules.ToCsv(content).Split("\r\n");
        Assert.StartsWith("domain,<script>x</script>,\"1.0.0\"\"\",", csv[1]);
    }
}

/// <summary>A replica that queues reports but does not generate them: the test runs the worker's passes itself.</summary>
public sealed class QueueOnlyFactory() : ServiceFactory<Program>("experimentationdb")
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings => [new("Reports:Generate", "false")];
}

public sealed class ReportWorkerTests(QueueOnlyFactory factory) : IClassFixture<QueueOnlyFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> QueueAsync(HttpClient client, string domain)
    {
        using var created = await client.PostAsJsonAsync("/api/reports", new { scope = "domain", domain, windowSeconds = 600 }, Ct);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task A_queued_report_has_no_content_until_a_worker_pass_generates_it()
    {
        var client = factory.CreateClient();
        var domain = ExperimentsApiTests.NewDomain();
        var id = await QueueAsync(client, domain);
        var queued = await client.GetFromJsonAsync<JsonElement>($"/api/reports/{id}", Ct);
        Assert.Equal(("queued", 0.0), (queued.GetProperty("status").GetString(), queued.GetProperty("progress").GetDouble()));
        using var early = await client.GetAsync($"/api/reports/{id}/content?format=csv", Ct);
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Equal("application/problem+json", early.Content.Headers.ContentType?.MediaType);

        var worker = factory.Services.GetRequiredService<ReportWorker>();
        while (await worker.RunOneAsync(Ct)) { }
        var done = await client.GetFromJsonAsync<JsonElement>($"/api/reports/{id}", Ct);
        Assert.Equal(("completed", 1.0), (done.GetProperty("status").GetString(), done.GetProperty("progress").GetDouble()));
        Assert.False(await worker.RunOneAsync(Ct));
        // A domain without traffic in the window is still named, with no versions.
        var content = await client.GetFromJsonAsync<JsonElement>($"/api/reports/{id}/content", Ct);
        var only = content.GetProperty("domains").EnumerateArray().Single();
        Assert.Equal((domain, 0), (only.GetProperty("domain").GetString(), only.GetProperty("versions").GetArrayLength()));
    }

    [Fact]
    public async Task A_report_whose_worker_lease_lapsed_is_taken_over_and_one_still_leased_is_not()
    {
        var client = factory.CreateClient();
        var store = factory.Services.GetRequiredService<Data.ReportStore>();
        var worker = factory.Services.GetRequiredService<ReportWorker>();
        while (await worker.RunOneAsync(Ct)) { }
        var id = await QueueAsync(client, ExperimentsApiTests.NewDomain());
        // Another replica claims it and holds the lease for an hour: this worker leaves it alone.
        var claimed = await store.ClaimAsync("other-replica", DateTime.UtcNow, TimeSpan.FromHours(1), Ct);
        Assert.Equal(id, claimed?.Id.ToString());
        Assert.False(await worker.RunOneAsync(Ct));
        Assert.Equal("running", (await client.GetFromJsonAsync<JsonElement>($"/api/reports/{id}", Ct)).GetProperty("status").GetString());

        var lapsed = await QueueAsync(client, ExperimentsApiTests.NewDomain());
        // A replica that claimed it an hour ago with a minute's lease and died.
        Assert.Equal(lapsed, (await store.ClaimAsync("dead-replica", DateTime.UtcNow.AddHours(-1), TimeSpan.FromMinutes(1), Ct))?.Id.ToString());
        Assert.True(await worker.RunOneAsync(Ct));
        Assert.Equal("completed", (await client.GetFromJsonAsync<JsonElement>($"/api/reports/{lapsed}", Ct)).GetProperty("status").GetString());
        // The dead replica's late completion no longer counts.
        Assert.False(await store.CompleteAsync(Guid.Parse(lapsed), "dead-replica", "{}", DateTime.UtcNow, Ct));
    }
}
