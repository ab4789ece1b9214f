using StackExchange.Redis;

namespace DomainPlatform.Gateway.Limits;

public sealed class RateLimitOptions
{
    public const string Section = "Gateway:RateLimit";

    /// <summary>Largest burst a key may send at once.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, int.MaxValue)]
    public int Capacity { get; set; } = 120;

    /// <summary>Requests per second a key earns back, up to <see cref="Capacity"/>.</summary>
    [System.ComponentModel.DataAnnotations.Range(0.000001, double.MaxValue)]
    public double RefillPerSecond { get; set; } = 20;
}

public sealed record RateLimitDecision(bool Allowed, double Remaining, TimeSpan RetryAfter);

/// <summary>
/// A token bucket per API key, kept in Redis and updated by one atomic script using Redis' own clock,
/// so every gateway replica draws from the same bucket.
/// </summary>
public sealed class RedisTokenBucket(IConnectionMultiplexer redis)
{
    // KEYS[1]: bucket; ARGV: capacity, refill per second, cost. Returns {allowed, remaining, retry-after ms}.
    private static readonly LuaScript Script = LuaScript.Prepare("""
        local capacity = tonumber(@capacity)
        local rate = tonumber(@rate)
        local cost = tonumber(@cost)
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local state = redis.call('HMGET', @key, 'tokens', 'ts')
        local tokens = tonumber(state[1])
        local ts = tonumber(state[2])
        if tokens == nil or ts == nil then tokens = capacity; ts = now end
        tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate / 1000)
        local allowed = 0
        local retry = 0
        if tokens >= cost then
          tokens = tokens - cost
          allowed = 1
        else
          retry = math.ceil((cost - tokens) * 1000 / rate)
        end
        redis.call('HSET', @key, 'tokens', tostring(tokens), 'ts', tostring(now))
        redis.call('PEXPIRE', @key, math.ceil(capacity * 1000 / rate) + 1000)
        return { allowed, tostring(tokens), retry }
        """);

    public async Task<RateLimitDecision> TryTakeAsync(string bucket, RateLimitOptions options)
    {
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Script, new
        {
            key = (RedisKey)("ratelimit:" + bucket),
            capacity = options.Capacity,
            rate = options.RefillPerSecond,
            cost = 1,
        }))!;
        return new RateLimitDecision(
            (int)result[0] == 1,
            double.Parse((string)result[1]!, System.Globalization.CultureInfo.InvariantCulture),
            TimeSpan.FromMilliseconds((long)result[2]));
    }
}
