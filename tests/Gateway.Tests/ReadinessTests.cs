using System.Net;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Gateway.Tests;

public sealed class ReadinessTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    [Fact]
    public async Task Readiness_goes_red_without_postgres_and_green_when_it_returns()
    {
        await Readiness.FollowsPostgresAsync(factory);
    }

    [Fact]
    public async Task Metrics_are_the_gateways_own_served_without_a_key_and_proxied_to_no_service()
    {
        var ct = TestContext.Current.CancellationToken;
        var before = new[] { "deployment", "experimentation", "extraction", "inference" }.Sum(b => factory.Backend(b).Requests);
        var client = factory.CreateClient();
        await client.GetAsync("/alive", ct);

        var text = await Eventually.GetAsync(async () =>
        {
            using var response = await client.GetAsync("/metrics", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString());
            return await response.Content.ReadAsStringAsync(ct);
        }, t => t.Contains("http_route=\"/alive\""), "the probe's request in the gateway's metrics");
        Assert.Contains("# TYPE http_server_request_duration_seconds histogram", text);
        Assert.Equal(before, new[] { "deployment", "experimentation", "extraction", "inference" }.Sum(b => factory.Backend(b).Requests));
    }
}
