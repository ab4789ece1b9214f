using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace DomainPlatform.AppHost.Infrastructure;

/// <summary>Debian's redis-server run by the orchestrator on 127.0.0.1: a cache and lock store, nothing persisted.</summary>
public sealed class RedisServerResource(string name, string workingDirectory)
    : ExecutableResource(name, "redis-server", workingDirectory), IResourceWithConnectionString
{
    public EndpointReference Endpoint => new(this, "tcp");

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"127.0.0.1:{Endpoint.Property(EndpointProperty.Port)}");
}

public static class RedisServerExtensions
{
    /// <summary>Adds redis-server on <paramref name="port"/>, healthy once it answers PING.</summary>
    public static IResourceBuilder<RedisServerResource> AddRedisServer(
        this IDistributedApplicationBuilder builder, string name, string directory, int port)
    {
        var healthCheck = $"{name}-ping";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheck, async ct =>
        {
            try
            {
                await using var redis = await ConnectionMultiplexer.ConnectAsync(
                    new ConfigurationOptions { EndPoints = { { "127.0.0.1", port } }, ConnectTimeout = 2000, AbortOnConnectFail = true });
                await redis.GetDatabase().PingAsync();
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy($"no PONG from 127.0.0.1:{port}: {e.Message}");
            }
        });

        if (builder.ExecutionContext.IsRunMode) Directory.CreateDirectory(directory);

        return builder.AddResource(new RedisServerResource(name, directory))
            .WithArgs("--bind", "127.0.0.1", "--port", port.ToString(), "--dir", directory, "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes")
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: "tcp", isProxied: false)
            .WithHealthCheck(healthCheck);
    }
}
