using DomainPlatform.Contracts;
using DomainPlatform.Persistence;
using DomainPlatform.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace DomainPlatform.EventBus.Tests;

/// <summary>What another team's consumer finds on the broker before any event has been published.</summary>
public sealed class TopologyTests
{
    [Fact]
    public async Task Every_events_exchange_exists_as_soon_as_a_service_has_started_before_anything_is_published()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = new TestDatabase();
        await using var vhost = await TestVirtualHost.CreateAsync();
        var builder = TestServiceHost.Builder(database.ConnectionString(), vhost.AmqpUri);
        // A service that publishes nothing and consumes nothing.
        builder.AddEventBus("topology-test");
        using var host = await TestServiceHost.StartReadyAsync(builder, ct);

        var exchanges = await Eventually.GetAsync(vhost.ExchangesAsync,
            names => EventCatalog.All.All(t => names.Contains(EventCatalog.NameOf(t))), "every event's exchange to be declared");

        Assert.All(EventCatalog.All, type => Assert.Contains(EventCatalog.NameOf(type), exchanges));
        await host.StopAsync(ct);
    }
}
