using System.Collections.Concurrent;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Persistence;
using DomainPlatform.TestSupport;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DomainPlatform.EventBus.Tests;

/// <summary>A consumer whose database goes away for longer than a handler's own retries last.</summary>
public sealed class DatabaseOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_event_that_arrives_while_the_consumers_database_is_away_is_applied_once_it_returns_not_dead_lettered()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var database = new TestDatabase();
        await using var vhost = await TestVirtualHost.CreateAsync();
        var postgres = new NpgsqlConnectionStringBuilder(TestInfrastructure.Postgres);
        await using var proxy = new TcpProxy(postgres.Host!, postgres.Port);
        var applied = new ConcurrentBag<Guid>();
        var builder = TestServiceHost.Builder(database.ConnectionString("127.0.0.1", proxy.Port), vhost.AmqpUri);
        builder.Logging.AddProvider(new TestOutputLoggerProvider(output, LogLevel.Warning));
        builder.Services.AddSingleton(applied);
        builder.AddEventBus("outage-test", bus => bus.AddConsumer<OutageRecordingConsumer>());
        using var host = await TestServiceHost.StartReadyAsync(builder, ct);

        proxy.Stop();
        var evt = new DatasetReady(Guid.NewGuid(), "d", "during-outage", 1, "/p", "s", null);
        await host.Services.GetRequiredService<IBus>().Publish(evt, ct);
        // Longer than the 5 tries within about 11 s that dead-lettered such an event before.
        await Task.Delay(TimeSpan.FromSeconds(20), ct);
        Assert.Empty(applied);
        proxy.Start();

        await Eventually.GetAsync(() => Task.FromResult(applied.Contains(evt.EventId)), b => b, "the event applied once the database is back", TimeSpan.FromMinutes(2));
        Assert.Single(applied, id => id == evt.EventId);
        Assert.DoesNotContain(await vhost.QueuesAsync(), q => q.EndsWith("_error", StringComparison.Ordinal));
        await host.StopAsync(ct);
    }
}

/// <summary>Records what it applied; its inbox write needs the database.</summary>
public sealed class OutageRecordingConsumer(NpgsqlDataSource db, OutboxSignal signal, ConcurrentBag<Guid> applied) : IdempotentConsumer<DatasetReady>(db, signal)
{
    protected override Task HandleAsync(DatasetReady message, EventTransaction transaction, CancellationToken ct)
    {
        applied.Add(message.EventId);
        return Task.CompletedTask;
    }
}
