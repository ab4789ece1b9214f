using System.Text.Json;
using Dapper;
using DomainPlatform.Contracts;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DomainPlatform.EventBus;

/// <summary>
/// Publishes outbox rows in commit order with broker confirms and marks them published; rows stay
/// pending while the broker is down, so a restart of RabbitMQ loses nothing. Replicas share the work
/// through row locks (SKIP LOCKED). A batch's publishes are sent in order without waiting for each
/// confirm in turn (one round trip per batch, not per event). Published rows are kept for
/// <see cref="Outbox.PublishedRetention"/> for inspection, then purged.
/// </summary>
internal sealed partial class OutboxDispatcher(
    NpgsqlDataSource dataSource, IBus bus, OutboxSignal signal, ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(1);
    private const int BatchSize = 200;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        var nextPurge = DateTime.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var published = await PublishBatchAsync(stoppingToken);
                failures = 0;
                if (DateTime.UtcNow >= nextPurge)
                {
                    await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                    await Outbox.PurgePublishedAsync(connection, Outbox.PublishedRetention, stoppingToken);
                    nextPurge = DateTime.UtcNow + PurgeInterval;
                }
                if (published < BatchSize) await signal.WaitAsync(PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                LogPublishFailed(failures, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Min(failures, 5)) / 2)), stoppingToken);
            }
        }
    }

    private async Task<int> PublishBatchAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var rows = (await connection.QueryAsync<PendingRow>(new CommandDefinition("""
            SELECT sequence, event_id AS EventId, event_name AS EventName, payload::text AS Payload
            FROM outbox_messages WHERE published_at IS NULL
            ORDER BY sequence LIMIT @BatchSize FOR UPDATE SKIP LOCKED
            """, new { BatchSize }, tx, cancellationToken: ct))).ToList();
        if (rows.Count == 0) return 0;

        var published = new List<long>(rows.Count);
        try
        {
            // Started in order, confirmed together: the broker sees commit order, the batch waits once.
            var sends = rows.Select(row => (row.Sequence, Send: PublishAsync(row, ct))).ToList();
            Exception? first = null;
            foreach (var (sequence, send) in sends)
            {
                try
                {
                    await send;
                    published.Add(sequence);
                }
                catch (Exception ex)
                {
                    first ??= ex;
                }
            }
            if (first is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
        finally
        {
            // Mark what did go out even when a later row failed, so it is not sent again.
            if (published.Count > 0)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE outbox_messages SET published_at = now(), attempts = attempts + 1 WHERE sequence = ANY(@published)",
                    new { published = published.ToArray() }, tx, cancellationToken: CancellationToken.None));
                await tx.CommitAsync(CancellationToken.None);
            }
        }
        return published.Count;
    }

    private Task PublishAsync(PendingRow row, CancellationToken ct)
    {
        var type = EventCatalog.Resolve(row.EventName)
            ?? throw new InvalidOperationException($"Outbox holds unknown event '{row.EventName}'.");
        var message = JsonSerializer.Deserialize(row.Payload, type, EventSerialization.Options)!;
        return bus.Publish(message, type, ctx => ctx.MessageId = row.EventId, ct);
    }

    private sealed record PendingRow(long Sequence, Guid EventId, string EventName, string Payload);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing from the outbox failed ({Failures} in a row), retrying: {Reason}")]
    private partial void LogPublishFailed(int failures, string reason);
}
