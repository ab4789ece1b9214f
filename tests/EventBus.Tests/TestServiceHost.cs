using DomainPlatform.Persistence;
using DomainPlatform.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace DomainPlatform.EventBus.Tests;

/// <summary>A service host as every platform service has it: its database (outbox and inbox) and the event bus.</summary>
internal static class TestServiceHost
{
    /// <summary>A builder whose service keeps its tables in <paramref name="databaseConnection"/> and reaches RabbitMQ at <paramref name="amqpUri"/>.</summary>
    public static HostApplicationBuilder Builder(string databaseConnection, string amqpUri)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:testdb"] = databaseConnection,
            ["ConnectionStrings:eventbus"] = amqpUri,
        });
        builder.AddPostgresDatabase("testdb", typeof(TestServiceHost).Assembly);
        return builder;
    }

    /// <summary>Builds and starts the host, and waits until its health says it is ready (connected, queues bound).</summary>
    public static async Task<IHost> StartReadyAsync(HostApplicationBuilder builder, CancellationToken ct)
    {
        var host = builder.Build();
        await host.StartAsync(ct);
        var health = host.Services.GetRequiredService<HealthCheckService>();
        await Eventually.GetAsync(async () => (await health.CheckHealthAsync(ct)).Status, s => s == HealthStatus.Healthy, "the service to be ready");
        return host;
    }
}
