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
    public static async Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IntegrationEvent evt, CancellationToken ct = default)
    {
        var name = EventCatalog.NameOf(evt.GetType());
        var payload = JsonSerializer.Serialize(evt, evt.GetType(), EventSerialization.Options);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO outbox_messages (event_id, event_name, payload, occurred_at)
            VALUES (@EventId, @name, @payload::jsonb, @OccurredAt)
            """, new { evt.EventId, name, payload, evt.OccurredAt }, transaction, cancellationToken: ct));
    }
}

/// <summary>Wakes the dispatcher right after a commit instead of waiting for its next poll.</summary>
public sealed class OutboxSignal : WakeSignal;
