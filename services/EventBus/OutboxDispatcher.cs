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
/// through row locks (SKIP LOCKED).
/// </summary>
internal sealed partial class OutboxDispatcher(
    NpgsqlDataSource dataSource, IBus bus, OutboxSignal signal, ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private const int BatchSize = 200;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var published = await PublishBatchAsync(stoppingToken);
                failures = 0;
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
            foreach (var row in rows)
            {
                var type = EventCatalog.Resolve(row.EventName)
                    ?? throw new InvalidOperationException($"Outbox holds unknown event '{row.EventName}'.");
                var message = JsonSerializer.Deserialize(row.Payload, type, EventSerialization.Options)!;
                await bus.Publish(message, type, ctx => ctx.MessageId = row.EventId, ct);
                published.Add(row.Sequence);
            }
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

    private sealed record PendingRow(long Sequence, Guid EventId, string EventName, string Payload);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing from the outbox failed ({Failures} in a row), retrying: {Reason}")]
    private partial void LogPublishFailed(int failures, string reason);
}
