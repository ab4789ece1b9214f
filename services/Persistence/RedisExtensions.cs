using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace DomainPlatform.Persistence;

public static class RedisExtensions
{
    /// <summary>
    /// Registers the shared <see cref="StackExchange.Redis.IConnectionMultiplexer"/> from <c>ConnectionStrings:{connectionName}</c>
    /// through the Aspire StackExchange.Redis integration (its health check for readiness, and tracing). The multiplexer
    /// reconnects on its own; start-up does not wait for Redis.
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
            options.ConnectTimeout = 5000;
        });
        return builder;
    }
}
