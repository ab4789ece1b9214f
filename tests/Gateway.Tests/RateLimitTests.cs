using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace DomainPlatform.Gateway.Tests;

/// <summary>Two gateway instances on the same Postgres and Redis share each key's token bucket.</summary>
public sealed class RateLimitTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private WebApplicationFactory<Program> Instance() => factory.WithWebHostBuilder(b =>
    {
        b.UseSetting("Gateway:RateLimit:Capacity", "5");
        // One token per 1000 s: nothing refills during the test, so the count is exact.
        b.UseSetting("Gateway:RateLimit:RefillPerSecond", "0.001");
    });

    [Fact]
    public async Task A_key_gets_its_burst_once_across_two_gateway_instances()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await factory.CreateKeyAsync("viewer");
        await using var first = Instance();
        await using var second = Instance();
        var clients = new[] { first.CreateClient(), second.CreateClient() };
        foreach (var client in clients) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage last = null!;
        for (var i = 0; i < 8; i++)
        {
            last = await clients[i % 2].GetAsync("/api/domains", ct);
            statuses.Add(last.StatusCode);
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, 5).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 3)), statuses);
        Assert.Equal("application/problem+json", last.Content.Headers.ContentType?.MediaType);
        Assert.True(last.Headers.RetryAfter?.Delta > TimeSpan.Zero);

        // Another key has its own bucket.
        var other = first.CreateClient();
        other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await factory.CreateKeyAsync("viewer"));
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/domains", ct)).StatusCode);
    }
}
