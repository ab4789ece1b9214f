using StackExchange.Redis;

namespace DomainPlatform.Gateway.Limits;

public sealed class RateLimitOptions
{
    public const string Section = "Gateway:RateLimit";

    /// <summary>Off only where something in front of the gateway limits callers already.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Largest burst a key may send at once.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, int.MaxValue)]
    public int Capacity { get; set; } = 120;

    /// <summary>Requests per second a key earns back, up to <see cref="Capacity"/>.</summary>
    [System.ComponentModel.DataAnnotations.Range(0.000001, double.MaxValue)]
    public double RefillPerSecond { get; set; } = 20;

    /// <summary>
    /// What happens to a request while the shared bucket cannot be read (Redis away): <see cref="RedisOutageRule.Allow"/>
    /// lets it through unlimited (availability first; the default), <see cref="RedisOutageRule.Refuse"/> answers 503 with
    /// Retry-After (limits first). Either way it is decided at once, never after waiting for Redis.
    /// </summary>
    public RedisOutageRule WhenRedisDown { get; set; } = RedisOutageRule.Allow;
}

/// <summary>What the rate limit does while Redis is away.</summary>
public enum RedisOutageRule { Allow, Refuse }

public sealed record RateLimitDecision(bool Allowed, double Remaining, TimeSpan RetryAfter);

/// <summary>What one draw on the shared bucket gave: how many tokens, what is left, when one comes back.</summary>
public sealed record BucketGrant(int Granted, double Remaining, TimeSpan RetryAfter);

/// <summary>
/// A token bucket per API key, kept in Redis and updated by one atomic script using Redis' own clock,
/// so every gateway replica draws from the same bucket.
/// </summary>
public sealed class RedisTokenBucket(IConnectionMultiplexer redis)
{
    // KEYS[1]: bucket; ARGV: capacity, refill per second, tokens wanted. Takes as many whole tokens as
    // are there, up to the number wanted. Returns {granted, remaining, retry-after ms for one token}.
    private static readonly LuaScript Script = LuaScript.Prepare("""
        local capacity = tonumber(@capacity)
        local rate = tonumber(@rate)
        local want = tonumber(@want)
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local state = redis.call('HMGET', @key, 'tokens', 'ts')
        local tokens = tonumber(state[1])
        local ts = tonumber(state[2])
        if tokens == nil or ts == nil then tokens = capacity; ts = now end
        tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate / 1000)
        local granted = math.min(want, math.floor(tokens))
        local retry = 0
        if granted >= 1 then
          tokens = tokens - granted
        else
          granted = 0
          retry = math.ceil((1 - tokens) * 1000 / rate)
        end
        redis.call('HSET', @key, 'tokens', tostring(tokens), 'ts', tostring(now))
        redis.call('PEXPIRE', @key, math.ceil(capacity * 1000 / rate) + 1000)
        return { granted, tostring(tokens), retry }
        """);

    /// <summary>Takes up to <paramref name="want"/> tokens (at least one, when there is one).</summary>
    public async Task<BucketGrant> TakeAsync(string bucket, int want, RateLimitOptions options)
    {
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Script, new
        {
            key = (RedisKey)("ratelimit:" + bucket),
            capacity = options.Capacity,
            rate = options.RefillPerSecond,
            want,
        }))!;
        return new BucketGrant(
            (int)result[0],
            double.Parse((string)result[1]!, System.Globalization.CultureInfo.InvariantCulture),
            TimeSpan.FromMilliseconds((long)result[2]));
    }
}
