using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Dapper;
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

/// <summary>For each event, how many inbox rows another connection saw when the handler's after-commit work ran.</summary>
public sealed class CommittedViews : ConcurrentDictionary<Guid, int>;

/// <summary>Records every delivery it applies; the inbox makes redeliveries no-ops.</summary>
public sealed class RecordingConsumer(NpgsqlDataSource db, OutboxSignal signal, ConcurrentBag<Guid> applied, CommittedViews committed, NpgsqlDataSource reader)
    : IdempotentConsumer<DatasetReady>(db, signal)
{
    protected override Task HandleAsync(DatasetReady message, EventTransaction transaction, CancellationToken ct)
    {
        applied.Add(message.EventId);
        transaction.AfterCommit(async () =>
        {
            await using var connection = await reader.OpenConnectionAsync(ct);
            committed[message.EventId] = await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM inbox_messages WHERE event_id = @id", new { id = message.EventId });
        });
        return Task.CompletedTask;
    }
}

public sealed class OutboxTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private TestVirtualHost _vhost = null!;
    private TcpProxy _broker = null!;
    private IHost _host = null!;
    private readonly ConcurrentBag<Guid> _applied = [];
    private readonly CommittedViews _committed = new();

    public async ValueTask InitializeAsync()
    {
        _vhost = await TestVirtualHost.CreateAsync();
        var amqp = new Uri(TestInfrastructure.RabbitMq);
        _broker = new TcpProxy(amqp.Host, amqp.Port);

        var builder = TestServiceHost.Builder(_database.ConnectionString(), $"{amqp.Scheme}://{amqp.UserInfo}@127.0.0.1:{_broker.Port}/{_vhost.Name}");
        // The host's log in the test's output: a failure shows the bus's reconnects and the dispatcher's retries.
        // MassTransit at Debug shows each connect, disconnect, endpoint fault and retry with its time.
        builder.Logging.AddProvider(new TestOutputLoggerProvider(output, LogLevel.Debug));
        builder.Logging.SetMinimumLevel(LogLevel.Debug).AddFilter("Npgsql", LogLevel.Warning).AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("MassTransit.Messages", LogLevel.Information);
        builder.Services.AddSingleton(_applied);
        builder.Services.AddSingleton(_committed);
        // One message at a time, so queue order is apply order and the marker below proves the duplicate was seen.
        builder.AddEventBus("outbox-test", bus => bus.AddConsumer<RecordingConsumer>(c => c.ConcurrentMessageLimit = 1));
        // The broker outage below happens to a running service, as in production: connected, queues bound.
        _host = await TestServiceHost.StartReadyAsync(builder, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Events_written_while_the_broker_is_down_are_delivered_once_it_returns()
    {
        var ct = TestContext.Current.CancellationToken;
        var db = _host.Services.GetRequiredService<NpgsqlDataSource>();
        var signal = _host.Services.GetRequiredService<OutboxSignal>();

        _broker.Stop();
        var events = Enumerable.Range(0, 20)
            .Select(i => new DatasetReady(Guid.NewGuid(), "d", $"set-{i}", i, "/p", "s", null)).ToList();
        foreach (var evt in events)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            await Outbox.AddAsync(connection, tx, evt, ct);
            await tx.CommitAsync(ct);
            signal.Notify();
        }

        await using (var connection = await db.OpenConnectionAsync(ct))
        {
            var pending = await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM outbox_messages WHERE published_at IS NULL");
            Assert.Equal(20, pending);
        }

        // A publish to a broker that is away fails or times out, and the row says so.
        var failure = await Eventually.GetAsync(async () =>
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            return await connection.QueryFirstOrDefaultAsync<string?>("SELECT last_error FROM outbox_messages WHERE attempts > 0 AND published_at IS NULL LIMIT 1");
        }, error => error is not null, "a failed publish recorded on its row");
        output.WriteLine($"Recorded while the broker was away: {failure}");

        _broker.Start();
        await Eventually.GetAsync(() => Task.FromResult(_applied.Count), n => n >= 20, "all 20 events to be consumed", TimeSpan.FromSeconds(120));
        Assert.Equal(events.Select(e => e.EventId).Order(), _applied.Order());
    }

    [Fact]
    public async Task A_redelivered_event_is_applied_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var bus = _host.Services.GetRequiredService<IBus>();

        var evt = new DatasetReady(Guid.NewGuid(), "d", "dup", 1, "/p", "s", null);
        await bus.Publish(evt, ct);
        await bus.Publish(evt, ct);
        var marker = new DatasetReady(Guid.NewGuid(), "d", "after", 1, "/p", "s", null);
        await bus.Publish(marker, ct);

        await Eventually.GetAsync(() => Task.FromResult(_applied.Contains(marker.EventId) && _applied.Contains(evt.EventId)), b => b, "deliveries");
        await using var connection = await _host.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(ct);
        var handled = await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM inbox_messages WHERE event_id = @id", new { id = evt.EventId });
        Assert.Equal(1, handled);
        Assert.Single(_applied, id => id == evt.EventId);
    }

    [Fact]
    public async Task A_burst_is_published_in_full_and_purging_removes_only_old_published_rows()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataSource = _host.Services.GetRequiredService<NpgsqlDataSource>();
        var burst = Enumerable.Range(0, 450).Select(i => new DatasetReady(Guid.NewGuid(), "d", $"burst-{i}", 1, "/p", "s", null)).ToList();
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            foreach (var evt in burst) await Outbox.AddAsync(connection, tx, evt, ct);
            await tx.CommitAsync(ct);
        }
        _host.Services.GetRequiredService<OutboxSignal>().Notify();

        // More than two dispatcher batches, each sent without waiting confirm by confirm: all arrive, once each.
        await Eventually.GetAsync(() => Task.FromResult(burst.Count(e => _applied.Contains(e.EventId))), n => n == burst.Count, "the whole burst delivered");
        Assert.All(burst, e => Assert.Single(_applied, id => id == e.EventId));

        await using var db = await dataSource.OpenConnectionAsync(ct);
        var pending = new DatasetReady(Guid.NewGuid(), "d", "pending", 1, "/p", "s", null);
        await db.ExecuteAsync("""
            INSERT INTO outbox_messages (event_id, event_name, payload, occurred_at, published_at)
            VALUES (@old, 'dataset-ready', '{}', now(), now() - interval '2 hours'),
                   (@pendingId, 'never-published', '{}', now() - interval '3 hours', NULL)
            """, new { old = Guid.NewGuid(), pendingId = pending.EventId });
        var purged = await Outbox.PurgePublishedAsync(db, Outbox.PublishedRetention, ct);

        Assert.Equal(1, purged);
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT count(*) FROM outbox_messages WHERE event_id = @id", new { id = pending.EventId }));
        Assert.Equal(burst.Count, await db.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM outbox_messages WHERE event_id = ANY(@ids) AND published_at IS NOT NULL", new { ids = burst.Select(e => e.EventId).ToArray() }));
    }

    [Fact]
    public async Task Many_events_written_in_one_statement_keep_the_order_given()
    {
        var ct = TestContext.Current.CancellationToken;
        var events = Enumerable.Range(0, 7).Select(i => new DatasetReady(Guid.NewGuid(), "d", $"many-{i}", i, "/p", "s", null)).ToList();
        await using var connection = await _host.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(ct);
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await Outbox.AddManyAsync(connection, tx, events, ct);
            await tx.CommitAsync(ct);
        }

        var stored = (await connection.QueryAsync<Guid>(
            "SELECT event_id FROM outbox_messages WHERE event_id = ANY(@ids) ORDER BY sequence", new { ids = events.Select(e => e.EventId).ToArray() })).ToList();
        Assert.Equal(events.Select(e => e.EventId), stored);
        var payload = await connection.ExecuteScalarAsync<string>(
            "SELECT payload->>'name' FROM outbox_messages WHERE event_id = @id", new { id = events[3].EventId });
        Assert.Equal("many-3", payload);
    }

    [Fact]
    public async Task After_commit_work_runs_once_the_handlers_writes_are_visible_to_others()
    {
        var ct = TestContext.Current.CancellationToken;
        var evt = new DatasetReady(Guid.NewGuid(), "d", "after-commit", 1, "/p", "s", null);
        await _host.Services.GetRequiredService<IBus>().Publish(evt, ct);

        var seen = await Eventually.GetAsync(() => Task.FromResult(_committed.TryGetValue(evt.EventId, out var rows) ? rows : -1), rows => rows >= 0, "the after-commit work");
        Assert.Equal(1, seen);
    }

    [Fact]
    public async Task A_row_this_replica_cannot_read_is_set_aside_with_its_reason_and_the_rows_after_it_go_out()
    {
        var ct = TestContext.Current.CancellationToken;
        var db = _host.Services.GetRequiredService<NpgsqlDataSource>();
        var before = new DatasetReady(Guid.NewGuid(), "d", "before", 1, "/p", "s", null);
        var after = new DatasetReady(Guid.NewGuid(), "d", "after", 1, "/p", "s", null);
        var (unknown, unreadable) = (Guid.NewGuid(), Guid.NewGuid());
        await using (var connection = await db.OpenConnectionAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await Outbox.AddAsync(connection, tx, before, ct);
            // A newer replica's event (a rolling upgrade), and a known event whose payload this replica cannot read.
            await connection.ExecuteAsync("""
                INSERT INTO outbox_messages (event_id, event_name, payload, occurred_at) VALUES
                    (@unknown, 'domainplatform.from-a-newer-release', '{"x": 1}', now()),
                    (@unreadable, 'domainplatform.dataset-ready', '[1, 2]', now())
                """, new { unknown, unreadable }, tx);
            await Outbox.AddAsync(connection, tx, after, ct);
            await tx.CommitAsync(ct);
        }
        _host.Services.GetRequiredService<OutboxSignal>().Notify();

        await Eventually.GetAsync(() => Task.FromResult(_applied.Contains(before.EventId) && _applied.Contains(after.EventId)), b => b, "the rows around the bad ones delivered");
        await using var db2 = await db.OpenConnectionAsync(ct);
        var rows = (await db2.QueryAsync<SetAsideRow>("""
            SELECT event_id AS EventId, set_aside_reason AS Reason, last_error AS Error, attempts AS Attempts, published_at IS NOT NULL AS Published
            FROM outbox_messages WHERE event_id = ANY(@ids)
            """, new { ids = new[] { unknown, unreadable } })).ToDictionary(r => r.EventId);
        Assert.Equal(("unknown_event", false), (rows[unknown].Reason, rows[unknown].Published));
        Assert.Contains("domainplatform.from-a-newer-release", rows[unknown].Error);
        Assert.Equal(("unreadable_payload", false), (rows[unreadable].Reason, rows[unreadable].Published));
        Assert.True(rows[unknown].Attempts >= 1 && rows[unreadable].Attempts >= 1);

        // Health says so (degraded, not down), and so does the gauge.
        var health = _host.Services.GetRequiredService<HealthCheckService>();
        var outbox = await Eventually.GetAsync(async () => (await health.CheckHealthAsync(ct)).Entries["outbox"], e => e.Status == HealthStatus.Degraded,
            "the outbox check to report the set-aside rows");
        Assert.Contains("2 outbox event(s) set aside", outbox.Description);
        Assert.Equal(2L, outbox.Data["setAside"]);
        long? gauge = null;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == _host.Services.GetRequiredService<IMeterFactory>() && instrument.Name == "eventbus.outbox.set_aside") l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => gauge = value);
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Equal(2L, gauge);
    }

    private sealed record SetAsideRow(Guid EventId, string? Reason, string? Error, int Attempts, bool Published);

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await _broker.DisposeAsync();
        await _vhost.DisposeAsync();
        await _database.DisposeAsync();
    }
}
