using System.Net;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Training.Tests;

public sealed class ReadinessTests(TrainingFactory factory) : IClassFixture<TrainingFactory>
{
    [Fact]
    public async Task Readiness_goes_red_without_postgres_and_green_when_it_returns()
    {
        await Readiness.FollowsPostgresAsync(factory);
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
