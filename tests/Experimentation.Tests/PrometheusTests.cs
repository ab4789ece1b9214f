using System.Diagnostics.Metrics;
using System.Net;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Experimentation.Tests;

public sealed class PrometheusTests(ExperimentationFactory factory) : IClassFixture<ExperimentationFactory>
{
    [Fact]
    public async Task Metrics_are_scraped_in_prometheus_text_format_with_their_labels()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/alerts?limit=1", ct)).StatusCode);

        // The request's duration is recorded as its response ends: a scrape soon after sees it.
        var families = await Eventually.GetAsync(async () =>
        {
            using var response = await client.GetAsync("/metrics", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString());
            return PrometheusText.Parse(await response.Content.ReadAsStringAsync(ct));
        }, f => f.TryGetValue("http_server_request_duration_seconds", out var d) && d.Samples.Any(IsAlertsList), "the alerts request in the scrape");

        var duration = families["http_server_request_duration_seconds"];
        Assert.Equal("histogram", duration.Type);
        var count = duration.Samples.Single(s => s.Name == "http_server_request_duration_seconds_count" && IsAlertsList(s));
        Assert.True(count.Value >= 1);
        // The platform's own meters are exported too (the next test, with a meter of its own). Not checked here on the
        // outbox's gauges: every test host in this process creates them under the same meter and names, OpenTelemetry
        // takes same-named instruments as one stream, and whether it is in one host's scrape depends on which other
        // hosts of the process still live (a CI run once went a minute without it). A service is one host per process.
    }

    [Fact]
    public async Task The_platforms_durations_in_seconds_have_buckets_for_seconds()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        // Any DomainPlatform.* meter in the process is exported, as the services' own are.
        using var meter = new Meter("DomainPlatform.PrometheusTests");
        var instrument = $"prometheus_tests.wait.{Guid.NewGuid():N}";
        meter.CreateHistogram<double>(instrument, "s", "A duration in seconds.").Record(0.3);
        var exported = instrument.Replace('.', '_') + "_seconds";

        var families = await Eventually.GetAsync(async () => PrometheusText.Parse(await client.GetStringAsync("/metrics", ct)),
            f => f.ContainsKey(exported), "the test's histogram in the scrape");
        var buckets = families[exported].Samples.Where(s => s.Name.EndsWith("_bucket", StringComparison.Ordinal))
            .ToDictionary(s => s.Labels["le"], s => s.Value);
        Assert.Equal(["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1", "2.5", "5", "7.5", "10", "30", "60", "+Inf"], buckets.Keys);
        Assert.Equal((0, 1), (buckets["0.25"], buckets["0.5"]));
    }

    [Fact]
    public void The_parser_refuses_what_is_not_the_text_format()
    {
        Assert.Throws<FormatException>(() => PrometheusText.Parse("# TYPE up gauge\nup{job=\"x} 1\n"));
        Assert.Throws<FormatException>(() => PrometheusText.Parse("orphan 1\n"));
        Assert.Throws<FormatException>(() => PrometheusText.Parse(
            "# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n"));
        var parsed = PrometheusText.Parse("# HELP up Whether up.\n# TYPE up gauge\nup{job=\"a\\\"b\"} 1 1700000000000\n");
        Assert.Equal("a\"b", parsed["up"].Samples[0].Labels["job"]);
    }

    private static bool IsAlertsList(PrometheusSample s) =>
        s.Labels.GetValueOrDefault("http_route") == "/api/alerts/" && s.Labels.GetValueOrDefault("http_request_method") == "GET"
        && s.Labels.GetValueOrDefault("http_response_status_code") == "200";
}
