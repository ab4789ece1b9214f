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
}
