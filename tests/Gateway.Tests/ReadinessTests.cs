using System.Net;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Gateway.Tests;

public sealed class ReadinessTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    [Fact]
    public async Task Readiness_goes_red_without_postgres_and_green_when_it_returns()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        await Eventually.GetAsync(() => client.GetAsync("/health", ct), r => r.StatusCode == HttpStatusCode.OK, "readiness after start");

        factory.PostgresProxy.Stop();
        var down = await Eventually.GetAsync(() => client.GetAsync("/health", ct), r => r.StatusCode == HttpStatusCode.ServiceUnavailable, "readiness to fail");
        Assert.Contains("postgres", await down.Content.ReadAsStringAsync(ct));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive", ct)).StatusCode);

        factory.PostgresProxy.Start();
        await Eventually.GetAsync(() => client.GetAsync("/health", ct), r => r.StatusCode == HttpStatusCode.OK, "readiness to recover");
    }
}
