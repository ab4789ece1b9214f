using DomainPlatform.Persistence;
using DomainPlatform.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace DomainPlatform.EventBus.Tests;

/// <summary>
/// A service's health tells when its broker is away, even a service that only publishes (extraction's health never
/// noticed a RabbitMQ outage: MassTransit's own check judges receive endpoints, and it has none).
/// </summary>
public sealed class BusHealthTests
{
    [Fact]
    public async Task A_publish_only_service_reports_its_broker_away_and_back()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = new TestDatabase();
        await using var vhost = await TestVirtualHost.CreateAsync();
        var broker = new Uri(vhost.AmqpUri);
        await using var proxy = new TcpProxy(broker.Host, broker.Port);
        var builder = TestServiceHost.Builder(database.ConnectionString(), new UriBuilder(broker) { Port = proxy.Port }.Uri.ToString());
        builder.AddEventBus("bus-health-test");
        using var host = await TestServiceHost.StartReadyAsync(builder, ct);
        var health = host.Services.GetRequiredService<HealthCheckService>();

        proxy.Stop();
        var away = await Eventually.GetAsync(() => health.CheckHealthAsync(ct), r => r.Status == HealthStatus.Unhealthy, "the broker's absence to show");
        Assert.Contains(away.Entries, e => e.Key == EventBusExtensions.BrokerHealthCheckName && e.Value.Status == HealthStatus.Unhealthy);

        proxy.Start();
        await Eventually.GetAsync(() => health.CheckHealthAsync(ct), r => r.Status == HealthStatus.Healthy, "the broker to be back");
        await host.StopAsync(ct);
    }
}
