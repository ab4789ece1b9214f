using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace DomainPlatform.Persistence;

public static class RedisExtensions
{
    /// <summary>How long one Redis command may take (a hung server): Redis answers in well under a millisecond here.</summary>
    public const int CommandTimeoutMs = 1000;

    /// <summary>How long connecting may take before the multiplexer retries in the background.</summary>
    public const int ConnectTimeoutMs = 2000;

    /// <summary>
    /// Registers the shared <see cref="StackExchange.Redis.IConnectionMultiplexer"/> from <c>ConnectionStrings:{connectionName}</c>
    /// through the Aspire StackExchange.Redis integration (its health check for readiness, and tracing). The multiplexer
    /// reconnects on its own; start-up does not wait for Redis. A command fails within <see cref="CommandTimeoutMs"/>.
    /// </summary>
    public static IHostApplicationBuilder AddRedisCache(this IHostApplicationBuilder builder, string connectionName = "redis")
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"Connection string '{connectionName}' is missing: set ConnectionStrings__{connectionName} to host:port of Redis.");
        }

        builder.AddRedisClient(connectionName, configureOptions: options =>
        {
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = ConnectTimeoutMs;
            // While Redis is away a command waits for a connection at most this long (5 s by default), then fails: every
            // caller has its own way to do without Redis (rate limits, caches, leases). Waiting at all, rather than
            // failing at once, lets the commands of a process that has just started wait for its first connection.
            options.AsyncTimeout = CommandTimeoutMs;
            options.SyncTimeout = CommandTimeoutMs;
        });
        return builder;
    }
}
