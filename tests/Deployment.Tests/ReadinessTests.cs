using System.Net;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Deployment.Tests;

public sealed class ReadinessTests(DeploymentFactory factory) : IClassFixture<DeploymentFactory>
{
    [Fact]
    public async Task Readiness_goes_red_without_postgres_and_green_when_it_returns()
    {
        var client = factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;
        // The bus connects in the background after start, so readiness turns green shortly after boot.
        await Eventually.GetAsync(() => client.GetAsync("/health", ct), r => r.StatusCode == HttpStatusCode.OK, "readiness after start");

        factory.PostgresProxy.Stop();
        var down = await Eventually.GetAsync(() => client.GetAsync("/health", ct), r => r.StatusCode == HttpStatusCode.ServiceUnavailable, "readiness to fail");
        Assert.Contains("postgres", await down.Content.ReadAsStringAsync(ct));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive", ct)).StatusCode);

        factory.PostgresProxy.Start();
        await Eventually.GetAsync(() => client.GetAsync("/health", ct), r => r.StatusCode == HttpStatusCode.OK, "readiness to recover");
    }

    [Fact]
    public async Task Serves_its_openapi_document()
    {
        var client = factory.CreateClient();
        var document = await client.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        Assert.Contains("/api/domains", document);
    }
}
