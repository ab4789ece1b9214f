using System.Net;
using DomainPlatform.TestSupport;

namespace DomainPlatform.Deployment.Tests;

public sealed class ReadinessTests(DeploymentFactory factory) : IClassFixture<DeploymentFactory>
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
        foreach (var path in new[] { "/api/domains", "/api/models", "/api/deployments", "/api/rollouts", "/api/audit" }) Assert.Contains(path, document);
        Assert.Contains("Start a canary rollout", document);
    }
}
