using System.Net;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Extraction.Tests;

public sealed class ReadinessTests(ExtractionFactory factory) : IClassFixture<ExtractionFactory>
{
    [Fact]
    public async Task Readiness_goes_red_without_postgres_and_green_when_it_returns()
    {
        await Readiness.FollowsPostgresAsync(factory);
    }

    [Fact]
    public async Task Serves_its_openapi_document_with_every_resource()
    {
        var client = factory.CreateClient();
        var document = await client.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        Assert.Contains("/api/sources", document);
        Assert.Contains("/api/datasets", document);
        Assert.Contains("/api/extraction/profiles", document);
        Assert.Contains("/api/privacy/budgets/{domain}", document);
    }
}
