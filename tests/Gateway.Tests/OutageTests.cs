using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DomainPlatform.Gateway.Limits;
using DomainPlatform.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;

namespace DomainPlatform.Gateway.Tests;

/// <summary>
/// The gateway while Redis or its database is away (the outage drills found requests hanging for Redis and every request
/// a 500 once the key cache expired): requests are decided at once and answered with a clear status, /health keeps
/// answering, known keys keep working from their last good copy, and everything comes back by itself.
/// </summary>
public sealed class OutageTests(GatewayFactory factory) : IClassFixture<GatewayFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly object ChatBody = new { model = "docs", messages = new[] { new { role = "user", content = "hello" } } };

    private WebApplicationFactory<Program> Instance(TcpProxy redis, RedisOutageRule rule) => factory.WithWebHostBuilder(b =>
    {
        b.UseSetting("ConnectionStrings:redis", $"127.0.0.1:{redis.Port},defaultDatabase={factory.RedisDatabase}");
        b.UseSetting("Gateway:RateLimit:WhenRedisDown", rule.ToString());
        b.UseSetting("Gateway:RedisRetry", "00:00:00.5");
        // Small buckets: a key's first request always draws on Redis (no lease left over from an earlier one).
        b.UseSetting("Gateway:RateLimit:Capacity", "5");
        b.UseSetting("Gateway:RateLimit:RefillPerSecond", "0.001");
    });

    private static HttpClient Client(WebApplicationFactory<Program> instance, string key)
    {
        var client = instance.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    [Fact]
    public async Task While_redis_is_away_each_request_is_decided_at_once_by_the_outage_rule_and_health_still_answers()
    {
        var address = TestInfrastructure.Redis.Split(',')[0].Split(':');
        await using var redis = new TcpProxy(address[0], int.Parse(address[1], System.Globalization.CultureInfo.InvariantCulture));
        await using var allowing = Instance(redis, RedisOutageRule.Allow);
        await using var refusing = Instance(redis, RedisOutageRule.Refuse);
        var keys = new List<string>();
        for (var i = 0; i < 9; i++) keys.Add(await factory.CreateKeyAsync("client"));
        var viewer = await factory.CreateKeyAsync("viewer");
        // Each instance's first connection to Redis (a process just started): until it is up, the refusing one answers
        // 503 as its rule says, so wait for it as an orchestrator waits for readiness.
        using var upAllowing = Client(allowing, keys[0]);
        using var upRefusing = Client(refusing, keys[1]);
        await Eventually.GetAsync(() => upAllowing.GetAsync("/v1/models", Ct), r => r.Headers.Contains(RateLimiting.RemainingHeader), "the allowing instance to reach Redis");
        await Eventually.GetAsync(() => upRefusing.GetAsync("/v1/models", Ct), r => r.StatusCode == HttpStatusCode.OK, "the refusing instance to reach Redis");

        redis.Stop();

        // Allow: every request with a key the bucket never saw goes through, unlimited and without its header.
        using (var first = Client(allowing, keys[2]))
        {
            var response = await first.GetAsync("/v1/models", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.Contains(RateLimiting.RemainingHeader));
        }
        var circuit = allowing.Services.GetRequiredService<RedisCircuit>();
        Assert.True(circuit.IsOpen);
        var statuses = new List<HttpStatusCode>();
        foreach (var key in keys[3..6])
        {
            using var client = Client(allowing, key);
            statuses.Add((await client.PostAsJsonAsync("/v1/chat/completions", ChatBody, Ct)).StatusCode);
        }
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));

        // Refuse: a clear 503 with Retry-After, in OpenAI's shape on /v1 and as problem details on /api.
        using (var refused = Client(refusing, keys[6]))
        {
            var v1 = await refused.GetAsync("/v1/models", Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, v1.StatusCode);
            Assert.True(v1.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            using var error = JsonDocument.Parse(await v1.Content.ReadAsStringAsync(Ct));
            Assert.Contains("Redis is unreachable", error.RootElement.GetProperty("error").GetProperty("message").GetString());
            using var viewing = Client(refusing, viewer);
            var api = await viewing.GetAsync("/api/domains", Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, api.StatusCode);
            Assert.Equal("application/problem+json", api.Content.Headers.ContentType?.MediaType);
        }

        // /health answers (unhealthy, naming Redis) instead of hanging for the client's timeouts.
        using (var anonymous = allowing.CreateClient())
        {
            var health = await anonymous.GetAsync("/health", Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            using var report = JsonDocument.Parse(await health.Content.ReadAsStringAsync(Ct));
            Assert.Contains(report.RootElement.GetProperty("checks").EnumerateArray(),
                c => c.GetProperty("name").GetString()!.Contains("redis", StringComparison.OrdinalIgnoreCase) && c.GetProperty("status").GetString() != "Healthy");
        }

        redis.Start();

        // Back by itself: the next probe finds Redis and limits are checked again (the header returns).
        var back = await Eventually.GetAsync(async () =>
        {
            using var client = Client(refusing, keys[7]);
            return await client.GetAsync("/v1/models", Ct);
        }, r => r.StatusCode == HttpStatusCode.OK, "the refusing gateway to check limits again");
        Assert.True(back.Headers.Contains(RateLimiting.RemainingHeader));
        await Eventually.GetAsync(async () =>
        {
            using var client = Client(allowing, keys[8]);
            return await client.GetAsync("/v1/models", Ct);
        }, r => r.StatusCode == HttpStatusCode.OK && r.Headers.Contains(RateLimiting.RemainingHeader), "the allowing gateway to check limits again");
        Assert.False(circuit.IsOpen);
    }

    [Fact]
    public async Task While_gatewaydb_is_away_known_keys_are_served_from_their_last_good_copy_and_unknown_ones_get_503()
    {
        var known = await factory.CreateKeyAsync("client");
        var notSeenYet = await factory.CreateKeyAsync("client");
        using var knownClient = factory.CreateClient(known);
        using var notSeenClient = factory.CreateClient(notSeenYet);
        using var admin = factory.CreateClient(factory.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await knownClient.GetAsync("/v1/models", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/keys", Ct)).StatusCode);

        factory.PostgresProxy.Stop();
        try
        {
            // As if the 15 s lookup cache had expired meanwhile.
            ((MemoryCache)factory.Services.GetRequiredService<IMemoryCache>()).Compact(1.0);

            Assert.Equal(HttpStatusCode.OK, (await knownClient.GetAsync("/v1/models", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await knownClient.PostAsJsonAsync("/v1/chat/completions", ChatBody, Ct)).StatusCode);

            // A key this replica cannot check: 503 with Retry-After in OpenAI's shape, never a 500 and never a guess.
            var unknown = await notSeenClient.GetAsync("/v1/models", Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unknown.StatusCode);
            Assert.True(unknown.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            using (var error = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync(Ct)))
            {
                Assert.Equal("service_unavailable", error.RootElement.GetProperty("error").GetProperty("code").GetString());
            }

            // An endpoint that needs the database itself: 503 problem details, not a 500.
            var keys = await admin.GetAsync("/api/keys", Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, keys.StatusCode);
            Assert.Equal("application/problem+json", keys.Content.Headers.ContentType?.MediaType);
            Assert.True(keys.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        }
        finally
        {
            factory.PostgresProxy.Start();
        }

        await Eventually.GetAsync(() => notSeenClient.GetAsync("/v1/models", Ct), r => r.StatusCode == HttpStatusCode.OK, "the unseen key to be checked again");
    }
}
