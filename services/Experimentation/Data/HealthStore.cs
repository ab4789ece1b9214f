using Dapper;
using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;
using DomainPlatform.Experimentation.Domain;
using Npgsql;

namespace DomainPlatform.Experimentation.Data;

public sealed record SlaRow
{
    public string Domain { get; init; } = "";
    public double LatencyP95Ms { get; init; }
    public double MaxErrorRate { get; init; }
    public double MinAvailability { get; init; }
    public double? MinAccuracy { get; init; }
    public int WindowSeconds { get; init; }
    public DateTime UpdatedAt { get; init; }

    public SlaTargets Targets => new(LatencyP95Ms, MaxErrorRate, MinAvailability, MinAccuracy, WindowSeconds);
}

public sealed record SlaViolationRow
{
    public Guid Id { get; init; }
    public string Domain { get; init; } = "";
    public string ModelVersion { get; init; } = "";
    public string Target { get; init; } = "";
    public double Value { get; init; }
    public double Threshold { get; init; }
    public int WindowSeconds { get; init; }
    public long Requests { get; init; }
    public string Reason { get; init; } = "";
    public Guid AlertId { get; init; }
    public DateTime StartedAt { get; init; }
    public DateTime? ResolvedAt { get; init; }
}

/// <summary>SLA targets per domain and the violations the monitor found, each recorded with its alert in one transaction.</summary>
public sealed class HealthStore(NpgsqlDataSource db, OutboxSignal outboxSignal)
{
    private const string SlaColumns = """
        domain, latency_p95_ms AS LatencyP95Ms, max_error_rate AS MaxErrorRate, min_availability AS MinAvailability,
        min_accuracy AS MinAccuracy, window_seconds AS WindowSeconds, updated_at AS UpdatedAt
        """;

    private const string ViolationColumns = """
        id, domain, model_version AS ModelVersion, target, value, threshold, window_seconds AS WindowSeconds, requests, reason,
        alert_id AS AlertId, started_at AS StartedAt, resolved_at AS ResolvedAt
        """;

    public async Task<SlaRow?> FindSlaAsync(string domain, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<SlaRow>(new CommandDefinition(
            $"SELECT {SlaColumns} FROM sla_targets WHERE domain = @domain", new { domain }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<SlaRow>> ListSlasAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<SlaRow>(new CommandDefinition($"SELECT {SlaColumns} FROM sla_targets ORDER BY domain", cancellationToken: ct))).AsList();
    }

    public async Task<SlaRow> PutSlaAsync(string domain, SlaTargets t, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<SlaRow>(new CommandDefinition($"""
            INSERT INTO sla_targets (domain, latency_p95_ms, max_error_rate, min_availability, min_accuracy, window_seconds)
            VALUES (@domain, @LatencyP95Ms, @MaxErrorRate, @MinAvailability, @MinAccuracy, @WindowSeconds)
            ON CONFLICT (domain) DO UPDATE SET latency_p95_ms = EXCLUDED.latency_p95_ms, max_error_rate = EXCLUDED.max_error_rate,
                min_availability = EXCLUDED.min_availability, min_accuracy = EXCLUDED.min_accuracy,
                window_seconds = EXCLUDED.window_seconds, updated_at = now()
            RETURNING {SlaColumns}
            """, new { domain, t.LatencyP95Ms, t.MaxErrorRate, t.MinAvailability, t.MinAccuracy, t.WindowSeconds }, cancellationToken: ct));
    }

    public async Task<bool> DeleteSlaAsync(string domain, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sla_targets WHERE domain = @domain", new { domain }, cancellationToken: ct)) == 1;
    }

    public async Task<IReadOnlyList<SlaViolationRow>> ViolationsAsync(string? domain, string? modelVersion, bool? open, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<SlaViolationRow>(new CommandDefinition($"""
            SELECT {ViolationColumns} FROM sla_violations
            WHERE (@domain::text IS NULL OR domain = @domain) AND (@modelVersion::text IS NULL OR model_version = @modelVersion)
              AND (@open::boolean IS NULL OR (resolved_at IS NULL) = @open)
            ORDER BY started_at DESC, target LIMIT @limit
            """, new { domain, modelVersion, open, limit }, cancellationToken: ct))).AsList();
    }

    /// <summary>The violations open at some time in [from, until) (a domain's, or every domain's when null), oldest first.</summary>
    public async Task<IReadOnlyList<SlaViolationRow>> ViolationsBetweenAsync(string? domain, DateTime from, DateTime until, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<SlaViolationRow>(new CommandDefinition($"""
            SELECT {ViolationColumns} FROM sla_violations
            WHERE (@domain::text IS NULL OR domain = @domain) AND started_at < @until AND (resolved_at IS NULL OR resolved_at >= @from)
            ORDER BY started_at, target
            """, new { domain, from, until }, cancellationToken: ct))).AsList();
    }

    /// <summary>Records a new violation and raises its alert (history row and AlertRaised through the outbox), together; false when one is already open.</summary>
    public async Task<bool> OpenViolationAsync(SlaViolationRow violation, AlertRaised alert, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sla_violations (id, domain, model_version, target, value, threshold, window_seconds, requests, reason, alert_id, started_at)
            VALUES (@Id, @Domain, @ModelVersion, @Target, @Value, @Threshold, @WindowSeconds, @Requests, @Reason, @AlertId, @StartedAt)
            ON CONFLICT (domain, model_version, target) WHERE resolved_at IS NULL DO NOTHING
            """, violation, tx, cancellationToken: ct));
        if (inserted == 0) return false;
        await AlertStore.RecordAsync(connection, tx, alert, violation.ModelVersion, ct);
        await Outbox.AddAsync(connection, tx, alert, ct);
        await tx.CommitAsync(ct);
        outboxSignal.Notify();
        return true;
    }

    /// <summary>Ends an open violation and raises the INFO alert that says so, together.</summary>
    public async Task<bool> ResolveViolationAsync(Guid id, DateTime at, AlertRaised alert, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sla_violations SET resolved_at = @at WHERE id = @id AND resolved_at IS NULL", new { id, at }, tx, cancellationToken: ct));
        if (updated == 0) return false;
        await AlertStore.RecordAsync(connection, tx, alert, alert.ModelVersion, ct);
        await Outbox.AddAsync(connection, tx, alert, ct);
        await tx.CommitAsync(ct);
        outboxSignal.Notify();
        return true;
    }
}
