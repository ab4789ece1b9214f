using Dapper;
using Npgsql;

namespace DomainPlatform.Deployment.Data;

public sealed record AuditEntry
{
    public long Id { get; init; }
    public DateTime At { get; init; }
    public string Actor { get; init; } = "";
    public string EntityType { get; init; } = "";
    public string EntityId { get; init; } = "";
    public string Action { get; init; } = "";
    /// <summary>Why: a rollback's reason, a rollout decision's reason, an archive's reason; null where none was given.</summary>
    public string? Reason { get; init; }
    public System.Text.Json.JsonElement? Before { get; init; }
    public System.Text.Json.JsonElement? After { get; init; }
}

public sealed record AuditQuery(string? EntityType, string? EntityId, string? Actor, string? Action, DateTime? Since, DateTime? Until, int Limit);

/// <summary>Who changed what and when, with the state before and after; written in the change's own transaction.</summary>
public sealed class AuditLog(NpgsqlDataSource db)
{
    public const string System = "system";

    public static Task WriteAsync(
        UnitOfWork uow, string actor, string entityType, string entityId, string action, object? before, object? after, CancellationToken ct, string? reason = null) =>
        uow.ExecuteAsync("""
            INSERT INTO audit_log (actor, entity_type, entity_id, action, reason, before, after)
            VALUES (@actor, @entityType, @entityId, @action, @reason, @before::jsonb, @after::jsonb)
            """, new
        {
            actor, entityType, entityId, action, reason,
            before = before is null ? null : Json.Serialize(before),
            after = after is null ? null : Json.Serialize(after),
        }, ct);

    public async Task<IReadOnlyList<AuditEntry>> QueryAsync(AuditQuery q, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition("""
            SELECT id, at, actor, entity_type AS EntityType, entity_id AS EntityId, action, reason, before::text AS Before, after::text AS After
            FROM audit_log
            WHERE (@EntityType::text IS NULL OR entity_type = @EntityType)
              AND (@EntityId::text IS NULL OR entity_id = @EntityId)
              AND (@Actor::text IS NULL OR actor = @Actor)
              AND (@Action::text IS NULL OR action = @Action)
              AND (@Since::timestamptz IS NULL OR at >= @Since)
              AND (@Until::timestamptz IS NULL OR at < @Until)
            ORDER BY id DESC LIMIT @Limit
            """, q, cancellationToken: ct));
        return rows.Select(r => new AuditEntry
        {
            Id = r.Id, At = r.At, Actor = r.Actor, EntityType = r.EntityType, EntityId = r.EntityId, Action = r.Action, Reason = r.Reason,
            Before = Parse(r.Before), After = Parse(r.After),
        }).ToList();
    }

    private static global::System.Text.Json.JsonElement? Parse(string? json) =>
        json is null ? null : global::System.Text.Json.JsonDocument.Parse(json).RootElement.Clone();

    private sealed record AuditRow
    {
        public long Id { get; init; }
        public DateTime At { get; init; }
        public string Actor { get; init; } = "";
        public string EntityType { get; init; } = "";
        public string EntityId { get; init; } = "";
        public string Action { get; init; } = "";
        public string? Reason { get; init; }
        public string? Before { get; init; }
        public string? After { get; init; }
    }
}
