using System.Text.Json;
using StackExchange.Redis;

namespace DomainPlatform.Deployment.Data;

/// <summary>
/// The hot copy of domain configs and the route table in Redis, shared by every replica. Keys carry a
/// generation number; a change bumps the generation after its commit, so every replica's next read misses
/// and reloads from Postgres (the truth), and a reload racing the change lands under a generation nobody
/// reads again. Entries also expire, bounding staleness if Redis missed a bump while unreachable.
/// </summary>
public sealed partial class DomainCache(IConnectionMultiplexer redis, Microsoft.Extensions.Options.IOptions<DeploymentOptions> options, ILogger<DomainCache> logger)
{
    private readonly string _prefix = options.Value.CacheKeyPrefix;

    public string GenerationKey => $"{_prefix}:cache:generation";
    private static readonly TimeSpan EntryLifetime = TimeSpan.FromSeconds(60);

    public string EntryKey(long generation, string key) => $"{_prefix}:cache:{generation}:{key}";

    public async Task<T?> GetOrLoadAsync<T>(string key, Func<Task<T?>> load) where T : class
    {
        string fullKey;
        try
        {
            var database = redis.GetDatabase();
            var generation = (long?)await database.StringGetAsync(GenerationKey) ?? 0;
            fullKey = EntryKey(generation, key);
            var cached = await database.StringGetAsync(fullKey);
            if (cached.HasValue) return JsonSerializer.Deserialize<T>(cached.ToString(), Json.Options);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnavailable(ex.Message);
            return await load();
        }

        var loaded = await load();
        if (loaded is null) return null;
        try
        {
            await redis.GetDatabase().StringSetAsync(fullKey, JsonSerializer.Serialize(loaded, Json.Options), EntryLifetime);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnavailable(ex.Message);
        }
        return loaded;
    }

    public async Task InvalidateAsync()
    {
        try
        {
            await redis.GetDatabase().StringIncrementAsync(GenerationKey);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogUnavailable(ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis cache unavailable, reading Postgres directly: {Reason}")]
    private partial void LogUnavailable(string reason);
}
