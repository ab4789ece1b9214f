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
/// confirm in turn (one round trip per batch, not per event), and the whole batch has
/// <see cref="PublishTimeout"/> to be confirmed: a publish stuck on a connection that died is given up and
/// retried, not waited on. A row this replica cannot turn into a message (an event it does not know during
/// a rolling upgrade, a payload it cannot read) is set aside with its reason, and the rows behind it go on;
/// a replica that knows the event publishes it later. Failed rows get their attempts and last error.
/// Published rows are kept for <see cref="Outbox.PublishedRetention"/> for inspection, then purged.
/// </summary>
internal sealed partial class OutboxDispatcher(
    NpgsqlDataSource dataSource, IBus bus, OutboxSignal signal, OutboxState state, ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PurgeInterval = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan CountInterval = TimeSpan.FromSeconds(5);
    /// <summary>How long a batch waits for the broker's confirms before it is retried.</summary>
    internal static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);
    /// <summary>The longest pause between retries while the broker is away, so publishing resumes soon after it returns.</summary>
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);
    private const int BatchSize = 200;

    public const string UnknownEvent = "unknown_event";
    public const string UnreadablePayload = "unreadable_payload";

    private static readonly string[] KnownNames = EventCatalog.All.Select(EventCatalog.NameOf).ToArray();

    /// <summary>
    /// The publishes of the last batch the broker had not confirmed in time. MassTransit's publish may wait for a
    /// connection without heeding cancellation, so a batch stops waiting for them itself; while they are still out, no
    /// new batch is sent (a long outage would otherwise pile up copies of the same rows inside the bus).
    /// </summary>
    private Task _unconfirmed = Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        var nextPurge = DateTime.UtcNow;
        var nextCount = DateTime.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (DateTime.UtcNow >= nextCount)
                {
                    await CountAsync(stoppingToken);
                    nextCount = DateTime.UtcNow + CountInterval;
                }
                var handled = await PublishBatchAsync(stoppingToken);
                failures = 0;
                if (DateTime.UtcNow >= nextPurge)
                {
                    await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                    await Outbox.PurgePublishedAsync(connection, Outbox.PublishedRetention, stoppingToken);
                    nextPurge = DateTime.UtcNow + PurgeInterval;
                }
                if (handled < BatchSize) await signal.WaitAsync(PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                state.PublishFailures.Add(1);
                LogPublishFailed(failures, ex.Message);
                var delay = Math.Min(MaxRetryDelay.TotalSeconds, 0.5 * Math.Pow(2, Math.Min(failures, 10) - 1));
                await Task.Delay(TimeSpan.FromSeconds(delay), stoppingToken);
            }
        }
    }

    /// <summary>One batch: publishes what it can read, sets aside what it cannot; returns how many rows it dealt with.</summary>
    private async Task<int> PublishBatchAsync(CancellationToken ct)
    {
        if (!_unconfirmed.IsCompleted)
        {
            try
            {
                await _unconfirmed.WaitAsync(PublishTimeout, ct);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"The broker has still not confirmed the last batch; no new publishes until it does.");
            }
        }
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Rows set aside as unknown come back once a replica that knows their event reads them.
        var rows = (await connection.QueryAsync<PendingRow>(new CommandDefinition("""
            SELECT sequence, event_id AS EventId, event_name AS EventName, payload::text AS Payload
            FROM outbox_messages
            WHERE published_at IS NULL
              AND (set_aside_at IS NULL OR (set_aside_reason = @UnknownEvent AND event_name = ANY(@KnownNames)))
            ORDER BY sequence LIMIT @BatchSize FOR UPDATE SKIP LOCKED
            """, new { BatchSize, UnknownEvent, KnownNames }, tx, cancellationToken: ct))).ToList();
        if (rows.Count == 0) return 0;

        var messages = new List<(PendingRow Row, object Message, Type Type)>(rows.Count);
        var setAside = new List<(long Sequence, string Reason, string Error)>();
        foreach (var row in rows)
        {
            if (Read(row, out var message, out var type, out var refusal) is { } reason) setAside.Add((row.Sequence, reason, refusal!));
            else messages.Add((row, message!, type!));
        }
        foreach (var (sequence, reason, error) in setAside) LogSetAside(sequence, reason, error);

        var published = new List<long>(messages.Count);
        var failed = new List<long>();
        Exception? first = null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(PublishTimeout);
        try
        {
            // Started in order, confirmed together: the broker sees commit order, the batch waits once.
            var sends = messages.Select(m => (m.Row.Sequence, Send: bus.Publish(m.Message, m.Type, ctx => ctx.MessageId = m.Row.EventId, timeout.Token))).ToList();
            _unconfirmed = Task.WhenAll(sends.Select(s => s.Send)).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            foreach (var (sequence, send) in sends)
            {
                try
                {
                    // The batch's deadline holds even when the publish itself does not heed its token.
                    await send.WaitAsync(timeout.Token);
                    published.Add(sequence);
                }
                catch (Exception ex)
                {
                    failed.Add(sequence);
                    first ??= ex is OperationCanceledException && !ct.IsCancellationRequested
                        ? new TimeoutException($"The broker did not confirm the batch within {PublishTimeout.TotalSeconds:0} s.", ex)
                        : ex;
                }
            }
        }
        finally
        {
            // Recorded even when a row failed: what went out is not sent again, what did not says why.
            await RecordAsync(connection, tx, published, failed, first?.Message, setAside);
        }
        state.Published.Add(published.Count);
        if (first is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        return published.Count + setAside.Count;
    }

    /// <summary>The row as a message, or why it cannot be one (the reason, and the error in <paramref name="refusal"/>).</summary>
    private static string? Read(PendingRow row, out object? message, out Type? type, out string? refusal)
    {
        message = null;
        refusal = null;
        type = EventCatalog.Resolve(row.EventName);
        if (type is null)
        {
            refusal = $"this replica does not know the event '{row.EventName}'";
            return UnknownEvent;
        }
        try
        {
            message = JsonSerializer.Deserialize(row.Payload, type, EventSerialization.Options);
            if (message is not null) return null;
            refusal = "the payload is null";
        }
        catch (JsonException ex)
        {
            refusal = ex.Message;
        }
        return UnreadablePayload;
    }

    private static async Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<long> published, List<long> failed, string? error,
        List<(long Sequence, string Reason, string Error)> setAside)
    {
        if (published.Count == 0 && failed.Count == 0 && setAside.Count == 0) return;
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE outbox_messages SET published_at = now(), attempts = attempts + 1, last_error = NULL, set_aside_at = NULL, set_aside_reason = NULL
            WHERE sequence = ANY(@published);
            UPDATE outbox_messages SET attempts = attempts + 1, last_error = @error WHERE sequence = ANY(@failed);
            UPDATE outbox_messages o SET attempts = attempts + 1, set_aside_at = COALESCE(o.set_aside_at, now()),
                   set_aside_reason = s.reason, last_error = s.error
            FROM unnest(@asideSequences, @asideReasons, @asideErrors) AS s(sequence, reason, error)
            WHERE o.sequence = s.sequence;
            """, new
        {
            published = published.ToArray(),
            failed = failed.ToArray(),
            error,
            asideSequences = setAside.Select(s => s.Sequence).ToArray(),
            asideReasons = setAside.Select(s => s.Reason).ToArray(),
            asideErrors = setAside.Select(s => s.Error).ToArray(),
        }, tx, cancellationToken: CancellationToken.None));
        await tx.CommitAsync(CancellationToken.None);
    }

    /// <summary>Counts pending and set-aside rows for health and the gauges.</summary>
    private async Task CountAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var counts = await connection.QuerySingleAsync<OutboxCounts>(new CommandDefinition("""
            SELECT count(*) AS Pending, count(*) FILTER (WHERE set_aside_at IS NOT NULL) AS SetAside FROM outbox_messages WHERE published_at IS NULL
            """, cancellationToken: ct));
        var oldest = counts.SetAside == 0 ? null : await connection.QueryFirstOrDefaultAsync<OutboxState.SetAsideRow>(new CommandDefinition("""
            SELECT sequence AS Sequence, event_name AS EventName, set_aside_reason AS Reason, last_error AS Error, set_aside_at AS SetAsideAt
            FROM outbox_messages WHERE published_at IS NULL AND set_aside_at IS NOT NULL ORDER BY sequence LIMIT 1
            """, cancellationToken: ct));
        state.Update(new OutboxState.Snapshot(counts.Pending, counts.SetAside, oldest));
    }

    private sealed record OutboxCounts(long Pending, long SetAside);

    private sealed record PendingRow(long Sequence, Guid EventId, string EventName, string Payload);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing from the outbox failed ({Failures} in a row), retrying: {Reason}")]
    private partial void LogPublishFailed(int failures, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox row {Sequence} set aside ({Reason}): {Error}; the rows after it go on")]
    private partial void LogSetAside(long sequence, string reason, string error);
}
