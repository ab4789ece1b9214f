using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using DomainPlatform.Gateway.Inference;
using DomainPlatform.Gateway.Limits;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DomainPlatform.Gateway.Caching;

public sealed class CacheOptions
{
    public const string Section = "Gateway:Cache";

    public bool Enabled { get; set; } = true;

    /// <summary>How long an answer stays cached unless its domain has its own TTL.</summary>
    public TimeSpan DefaultTtl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Per-domain TTLs (<c>Gateway__Cache__DomainTtl__&lt;domain&gt;=00:30:00</c>); zero turns caching off for a domain.</summary>
    public Dictionary<string, TimeSpan> DomainTtl { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Largest response body stored.</summary>
    public int MaxBodyBytes { get; set; } = 256 * 1024;

    public TimeSpan TtlFor(string domain) => TtlFor(domain, null);

    /// <summary>
    /// How long a domain's answers stay cached: the operator's <see cref="DomainTtl"/> override first, else the
    /// domain's own settings from deployment (off, or its TTL), else <see cref="DefaultTtl"/>. Zero: not cached.
    /// </summary>
    public TimeSpan TtlFor(string domain, Contracts.Events.RouteCache? domainSettings) =>
        DomainTtl.TryGetValue(domain, out var ttl) ? ttl
        : domainSettings is { } settings ? (settings.Enabled ? TimeSpan.FromSeconds(Math.Max(0, settings.TtlSeconds)) : TimeSpan.Zero)
        : DefaultTtl;
}

public sealed record CachedResponse(string ContentType, byte[] Body);

/// <summary>
/// Answers of deterministic requests (temperature 0 or a fixed seed) per domain and model version in
/// Redis: the same question to the same model version gets the stored answer. A Redis failure is a miss, and while the
/// gateway's <see cref="RedisCircuit"/> is open (Redis judged away) the cache is not even tried.
/// </summary>
public sealed partial class ResponseCache(
    IConnectionMultiplexer redis, RedisCircuit circuit, IOptionsMonitor<CacheOptions> options, IOptionsMonitor<GatewayOptions> gateway,
    IMeterFactory meters, ILogger<ResponseCache> logger)
{
    public const string Header = "X-Cache";

    private readonly Counter<long> _lookups = meters.Create("DomainPlatform.Gateway").CreateCounter<long>(
        "gateway.cache.lookups", description: "Response cache lookups, tagged result=hit|miss and domain");

    /// <summary>The cache key, or null when the request must not be cached.</summary>
    public string? KeyFor(InferenceRoute route, string path)
    {
        var current = options.CurrentValue;
        if (!current.Enabled || !route.Request.IsDeterministic || current.TtlFor(route.Domain, route.Cache) <= TimeSpan.Zero) return null;
        return CacheKey(route.Domain, route.ModelVersion, path, route.Request.CanonicalWithoutModel());
    }

    public static string CacheKey(string domain, string modelVersion, string path, string canonicalRequest)
    {
        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(path.ToLowerInvariant() + "\n" + canonicalRequest)));
        return $"cache:{domain}:{modelVersion}:{digest}";
    }

    public async Task<CachedResponse?> GetAsync(string key, string domain)
    {
        CachedResponse? found = null;
        var openFor = gateway.CurrentValue.RedisRetry;
        if (circuit.TryEnter(openFor))
        {
            try
            {
                var fields = await redis.GetDatabase().HashGetAsync(key, ["type", "body"]);
                if (!fields[0].IsNull && !fields[1].IsNull) found = new CachedResponse(fields[0]!, (byte[])fields[1]!);
                circuit.RecordSuccess();
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                if (circuit.RecordFailure(openFor)) LogRedisFailed(ex.Message);
            }
        }
        _lookups.Add(1, new("result", found is null ? "miss" : "hit"), new("domain", domain));
        return found;
    }

    public async Task SetAsync(string key, InferenceRoute route, string contentType, byte[] body)
    {
        if (body.Length > options.CurrentValue.MaxBodyBytes || circuit.IsOpen) return;
        try
        {
            var db = redis.GetDatabase();
            var tx = db.CreateTransaction();
            _ = tx.HashSetAsync(key, [new("type", contentType), new("body", body)]);
            _ = tx.KeyExpireAsync(key, options.CurrentValue.TtlFor(route.Domain, route.Cache));
            await tx.ExecuteAsync();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogRedisFailed(ex.Message);
        }
    }

    public int MaxBodyBytes => options.CurrentValue.MaxBodyBytes;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Response cache unavailable, serving without it: {Reason}")]
    private partial void LogRedisFailed(string reason);
}
