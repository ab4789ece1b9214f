using System.Net;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Training.Tests;

public sealed class ReadinessTests(TrainingFactory factory) : IClassFixture<TrainingFactory>
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

    [Fact]
    public async Task Serves_its_openapi_document()
    {
        var client = factory.CreateClient();
        var document = await client.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        Assert.Contains("/api/training/jobs", document);
        Assert.Contains("/api/training/jobs/{id}/cancel", document);
    }
}
