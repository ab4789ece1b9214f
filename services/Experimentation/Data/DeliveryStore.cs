using Dapper;
using Npgsql;

namespace DomainPlatform.Experimentation.Data;

/// <summary>One attempt to hand an alert to a channel.</summary>
public sealed record DeliveryRow
{
    public long Id { get; init; }
    public Guid AlertId { get; init; }
    public string Channel { get; init; } = "";
    public string Kind { get; init; } = "";
    /// <summary>trigger, or resolve for a recovery.</summary>
    public string Action { get; init; } = "";
    public int Attempt { get; init; }
    /// <summary>delivered, retrying (another attempt follows) or failed (no more attempts).</summary>
    public string Status { get; init; } = "";
    public string? Error { get; init; }
    public DateTime At { get; init; }
}

/// <summary>The delivery log: every attempt of every channel.</summary>
public sealed class DeliveryStore(NpgsqlDataSource db)
{
    public async Task RecordAsync(Guid alertId, string channel, string kind, string action, int attempt, string status, string? error, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO alert_deliveries (alert_id, channel, kind, action, attempt, status, error)
            VALUES (@alertId, @channel, @kind, @action, @attempt, @status, @error)
            """, new { alertId, channel, kind, action, attempt, status, error }, cancellationToken: ct));
    }

    /// <summary>Whether the channel already took the alert (a redelivered event is not sent twice).</summary>
    public async Task<bool> DeliveredAsync(Guid alertId, string channel, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM alert_deliveries WHERE alert_id = @alertId AND channel = @channel AND status = 'delivered')",
            new { alertId, channel }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<DeliveryRow>> ListAsync(Guid? alertId, string? channel, string? status, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<DeliveryRow>(new CommandDefinition("""
            SELECT id, alert_id AS AlertId, channel, kind, action, attempt, status, error, at
            FROM alert_deliveries
            WHERE (@alertId::uuid IS NULL OR alert_id = @alertId) AND (@channel::text IS NULL OR channel = @channel)
              AND (@status::text IS NULL OR status = @status)
            ORDER BY id DESC LIMIT @limit
            """, new { alertId, channel, status, limit }, cancellationToken: ct));
        return rows.AsList();
    }
}
