using Dapper;
using DomainPlatform.Contracts.Events;
using DomainPlatform.EventBus;
using Npgsql;

namespace DomainPlatform.Experimentation.Data;

public sealed record AlertRow
{
    public Guid Id { get; init; }
    public string Level { get; init; } = "";
    public string? Domain { get; init; }
    public string? ModelVersion { get; init; }
    public Guid? ExperimentId { get; init; }
    public string Metric { get; init; } = "";
    public double Value { get; init; }
    public double Threshold { get; init; }
    public string Message { get; init; } = "";
    public DateTime RaisedAt { get; init; }
}

public sealed record WebhookRow
{
    public Guid Id { get; init; }
    public string Url { get; init; } = "";
    public string MinLevel { get; init; } = "";
    public DateTime CreatedAt { get; init; }
}

public sealed class AlertStore(NpgsqlDataSource db, OutboxSignal outboxSignal)
{
    /// <summary>Records an alert in the history; the caller's transaction also carries its AlertRaised event.</summary>
    public static Task RecordAsync(NpgsqlConnection connection, NpgsqlTransaction tx, AlertRaised alert, string? modelVersion, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO alerts (id, level, domain, model_version, experiment_id, metric, value, threshold, message, raised_at)
            VALUES (@AlertId, @Level, @Domain, @modelVersion, @ExperimentId, @Metric, @Value, @Threshold, @Message, @at)
            ON CONFLICT (id) DO NOTHING
            """, new { alert.AlertId, alert.Level, alert.Domain, modelVersion, alert.ExperimentId, alert.Metric, alert.Value, alert.Threshold, alert.Message, at = alert.OccurredAt.UtcDateTime },
            tx, cancellationToken: ct));

    /// <summary>Raises an alert for a watched series and moves the series to its new level, together.</summary>
    public async Task RaiseAsync(AlertRaised alert, string modelVersion, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await RecordAsync(connection, tx, alert, modelVersion, ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO alert_states (domain, model_version, metric, level) VALUES (@Domain, @modelVersion, @Metric, @Level)
            ON CONFLICT (domain, model_version, metric) DO UPDATE SET level = EXCLUDED.level, updated_at = now()
            """, new { alert.Domain, modelVersion, alert.Metric, alert.Level }, tx, cancellationToken: ct));
        await Outbox.AddAsync(connection, tx, alert, ct);
        await tx.CommitAsync(ct);
        outboxSignal.Notify();
    }

    public async Task<IReadOnlyDictionary<(string Domain, string Version, string Metric), string>> LevelsAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string, string, string, string)>(new CommandDefinition(
            "SELECT domain, model_version, metric, level FROM alert_states", cancellationToken: ct));
        return rows.ToDictionary(r => (r.Item1, r.Item2, r.Item3), r => r.Item4);
    }

    public async Task<IReadOnlyList<AlertRow>> ListAsync(string? level, string? domain, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<AlertRow>(new CommandDefinition("""
            SELECT id, level, domain, model_version AS ModelVersion, experiment_id AS ExperimentId, metric, value, threshold, message, raised_at AS RaisedAt
            FROM alerts WHERE (@level::text IS NULL OR level = @level) AND (@domain::text IS NULL OR domain = @domain)
            ORDER BY raised_at DESC LIMIT @limit
            """, new { level, domain, limit }, cancellationToken: ct));
        return rows.AsList();
    }

    public async Task<WebhookRow> AddWebhookAsync(string url, string minLevel, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<WebhookRow>(new CommandDefinition("""
            INSERT INTO webhook_destinations (id, url, min_level) VALUES (@id, @url, @minLevel)
            RETURNING id, url, min_level AS MinLevel, created_at AS CreatedAt
            """, new { id = Guid.CreateVersion7(), url, minLevel }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<WebhookRow>> WebhooksAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<WebhookRow>(new CommandDefinition(
            "SELECT id, url, min_level AS MinLevel, created_at AS CreatedAt FROM webhook_destinations ORDER BY created_at", cancellationToken: ct));
        return rows.AsList();
    }

    public async Task<bool> RemoveWebhookAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM webhook_destinations WHERE id = @id", new { id }, cancellationToken: ct)) == 1;
    }
}
