using DomainPlatform.Gateway.Limits;
using DomainPlatform.TestSupport;
using StackExchange.Redis;

namespace DomainPlatform.Gateway.Tests;

/// <summary>Two replicas' limiters on the real Redis: leasing never admits more than the shared bucket holds.</summary>
public sealed class LeasedRateLimiterTests
{
    [Fact]
    public async Task Two_replicas_hammering_one_key_together_never_admit_more_than_the_burst()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        var options = new RateLimitOptions { Capacity = 200, RefillPerSecond = 0.001 };
        var bucket = new RedisTokenBucket(redis);
        var replicas = new[] { new LeasedRateLimiter(bucket, TimeProvider.System), new LeasedRateLimiter(bucket, TimeProvider.System) };
        var key = "lease-test-" + Guid.NewGuid().ToString("N");

        var decisions = await Task.WhenAll(Enumerable.Range(0, 600).Select(i => Task.Run(() => replicas[i % 2].TryTakeAsync(key, options))));

        var admitted = decisions.Count(d => d.Allowed);
        // At most the burst; at least the burst less what each replica may still hold in an unspent lease.
        Assert.InRange(admitted, 200 - 2 * TokenLease.MaxSize(options), 200);
        Assert.All(decisions.Where(d => !d.Allowed), d => Assert.True(d.RetryAfter > TimeSpan.Zero));
    }

    [Fact]
    public async Task A_busy_key_takes_several_tokens_per_trip_to_redis()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        var options = new RateLimitOptions { Capacity = 1000, RefillPerSecond = 0.001 };
        var limiter = new LeasedRateLimiter(new RedisTokenBucket(redis), TimeProvider.System);
        var key = "lease-test-" + Guid.NewGuid().ToString("N");

        for (var i = 0; i < 300; i++) Assert.True((await limiter.TryTakeAsync(key, options)).Allowed);

        Assert.InRange(limiter.RedisTrips, 1, 100);
        // The shared bucket lost more than the 300 spent only by what this replica still holds.
        var shared = double.Parse((string)(await redis.GetDatabase().HashGetAsync("ratelimit:" + key, "tokens"))!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(1000 - 300 - shared, 0, TokenLease.MaxSize(options));
    }
}
