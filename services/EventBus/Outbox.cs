using System.Text.Json;
using Dapper;
using DomainPlatform.Contracts;
using Npgsql;

namespace DomainPlatform.EventBus;

/// <summary>
/// Writes events into the service's outbox inside the caller's transaction, so the state change and
/// its event commit together or not at all; <see cref="OutboxDispatcher"/> publishes them afterwards.
/// </summary>
public static class Outbox
{
    /// <summary>How long a published row stays in the outbox (to look at what went out) before it is purged.</summary>
    public static readonly TimeSpan PublishedRetention = TimeSpan.FromHours(1);

    /// <summary>Deletes rows published more than <paramref name="olderThan"/> ago; pending rows are never touched.</summary>
    public static async Task<int> PurgePublishedAsync(NpgsqlConnection connection, TimeSpan olderThan, CancellationToken ct = default) =>
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM outbox_messages WHERE published_at < now() - @olderThan",
            new { olderThan }, cancellationToken: ct));

    public static async Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IntegrationEvent evt, CancellationToken ct = default)
    {
        var name = EventCatalog.NameOf(evt.GetType());
        var payload = JsonSerializer.Serialize(evt, evt.GetType(), EventSerialization.Options);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO outbox_messages (event_id, event_name, payload, occurred_at)
            VALUES (@EventId, @name, @payload::jsonb, @OccurredAt)
            """, new { evt.EventId, name, payload, evt.OccurredAt }, transaction, cancellationToken: ct));
    }

    /// <summary>Writes many events with one statement (one round trip), in the order given.</summary>
    public static async Task AddManyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<IntegrationEvent> events, CancellationToken ct = default)
    {
        if (events.Count == 0) return;
        var ids = new Guid[events.Count];
        var names = new string[events.Count];
        var payloads = new string[events.Count];
        var occurred = new DateTime[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var evt = events[i];
            ids[i] = evt.EventId;
            names[i] = EventCatalog.NameOf(evt.GetType());
            payloads[i] = JsonSerializer.Serialize(evt, evt.GetType(), EventSerialization.Options);
            occurred[i] = evt.OccurredAt.UtcDateTime;
        }
        // WITH ORDINALITY keeps the sequence numbers in the order given.
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO outbox_messages (event_id, event_name, payload, occurred_at)
            SELECT id, name, payload::jsonb, occurred
            FROM unnest(@ids, @names, @payloads, @occurred) WITH ORDINALITY AS e(id, name, payload, occurred, n)
            ORDER BY n
            """, new { ids, names, payloads, occurred }, transaction, cancellationToken: ct));
    }
}

/// <summary>Wakes the dispatcher right after a commit instead of waiting for its next poll.</summary>
public sealed class OutboxSignal : WakeSignal;
