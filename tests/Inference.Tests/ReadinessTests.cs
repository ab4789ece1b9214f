using System.Net;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Inference.Tests;

public sealed class ReadinessTests(InferenceFactory factory) : IClassFixture<InferenceFactory>
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
        Assert.Contains("/v1/chat/completions", document);
        Assert.Contains("/v1/completions", document);
        Assert.Contains("/v1/models", document);
        Assert.Contains("/v1/embeddings", document);
        Assert.Contains("encoding_format", document);
    }
}
