using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using DomainPlatform.Contracts.Events;
using DomainPlatform.Deployment.Domain;
using Npgsql;

namespace DomainPlatform.Deployment.Data;

/// <summary>The watch of a domain's latest promotion, as the API shows it (<c>watch</c> of a deployment).</summary>
public sealed record WatchView
{
    public string Version { get; init; } = "";
    public string PreviousVersion { get; init; } = "";
    /// <summary>watching, passed, rolled_back or ended (another traffic move came first).</summary>
    public WatchStatus Status { get; init; }
    public DateTime StartedAt { get; init; }
    public DateTime Until { get; init; }
    public DateTime BaselineFrom { get; init; }
    public int FailedChecks { get; init; }
    public string? LastVerdict { get; init; }
    public string LastReason { get; init; } = "";
    public DateTime? LastCheckedAt { get; init; }
    public string? RollbackType { get; init; }
    /// <summary>The last check's figures: the watched version (candidate) against the previous stable's baseline.</summary>
    public JsonElement? Figures { get; init; }

    [JsonIgnore]
    public int Revision { get; init; }

    [JsonIgnore]
    public WatchState State => new(Version, PreviousVersion, Status, Utc(StartedAt), Utc(Until), Utc(BaselineFrom),
        FailedChecks, LastVerdict, LastReason, LastCheckedAt is { } at ? Utc(at) : null, RollbackType);

    private static DateTime Utc(DateTime at) => DateTime.SpecifyKind(at, DateTimeKind.Utc);
}

/// <summary>One rollback of a domain's traffic, as published in RollbackPerformed.</summary>
public sealed record RollbackView
{
    public long Id { get; init; }
    public string Type { get; init; } = "";
    public string FromVersion { get; init; } = "";
    public string ToVersion { get; init; } = "";
    public string Reason { get; init; } = "";
    public Guid? RolloutId { get; init; }
    public string Actor { get; init; } = "";
    public DateTime At { get; init; }
}

/// <summary>A rollback of the stable version planned for a time (<c>scheduledRollback</c> of a deployment).</summary>
public sealed record ScheduledRollbackView
{
    public string Version { get; init; } = "";
    public string Reason { get; init; } = "";
    public string Actor { get; init; } = "";
    public DateTime At { get; init; }
    public DateTime CreatedAt { get; init; }
}

/// <summary>Reads and writes the post-promotion watches and the rollback history; audited as entity type "watch".</summary>
public static class PromotionWatches
{
    public const string EntityType = "watch";

    private const string Columns = """
        version, previous_version AS PreviousVersion, status, started_at AS StartedAt, until, baseline_from AS BaselineFrom,
        failed_checks AS FailedChecks, last_verdict AS LastVerdict, last_reason AS LastReason, last_checked_at AS LastCheckedAt,
        rollback_type AS RollbackType, figures::text AS FiguresJson, revision
        """;

    private const string RollbackColumns = """
        id, type, from_version AS FromVersion, to_version AS ToVersion, reason, rollout_id AS RolloutId, actor, at
        """;

    public static async Task<WatchView?> FindAsync(UnitOfWork uow, string domain, bool lockRow, CancellationToken ct)
    {
        var row = await uow.QuerySingleOrDefaultAsync<WatchRow>(
            $"SELECT {Columns} FROM promotion_watches WHERE domain_id = @domain" + (lockRow ? " FOR UPDATE" : ""), new { domain }, ct);
        return row?.ToView();
    }

    public static async Task<WatchView?> FindAsync(NpgsqlDataSource db, string domain, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<WatchRow>(new CommandDefinition(
            $"SELECT {Columns} FROM promotion_watches WHERE domain_id = @domain", new { domain }, cancellationToken: ct));
        return row?.ToView();
    }

    /// <summary>Writes the watch (the domain's one row), bumping its revision and freeing its lease.</summary>
    public static Task SaveAsync(UnitOfWork uow, string domain, WatchState s, object? figures, CancellationToken ct) =>
        uow.ExecuteAsync("""
            INSERT INTO promotion_watches (domain_id, version, previous_version, status, started_at, until, baseline_from, failed_checks,
                                           last_verdict, last_reason, last_checked_at, rollback_type, figures)
            VALUES (@domain, @Version, @PreviousVersion, @status, @StartedAt, @Until, @BaselineFrom, @FailedChecks,
                    @LastVerdict, @LastReason, @LastCheckedAt, @RollbackType, COALESCE(@figures::jsonb, '[]'))
            ON CONFLICT (domain_id) DO UPDATE SET version = EXCLUDED.version, previous_version = EXCLUDED.previous_version, status = EXCLUDED.status,
                started_at = EXCLUDED.started_at, until = EXCLUDED.until, baseline_from = EXCLUDED.baseline_from, failed_checks = EXCLUDED.failed_checks,
                last_verdict = EXCLUDED.last_verdict, last_reason = EXCLUDED.last_reason, last_checked_at = EXCLUDED.last_checked_at,
                rollback_type = EXCLUDED.rollback_type,
                figures = CASE WHEN @figures::jsonb IS NULL AND promotion_watches.started_at = EXCLUDED.started_at THEN promotion_watches.figures ELSE EXCLUDED.figures END,
                revision = promotion_watches.revision + 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
            """, new
        {
            domain, s.Version, s.PreviousVersion, status = s.Status.ToString(), s.StartedAt, s.Until, s.BaselineFrom, s.FailedChecks,
            s.LastVerdict, s.LastReason, s.LastCheckedAt, s.RollbackType, figures = figures is null ? null : Json.Serialize(figures),
        }, ct);

    /// <summary>A version became stable: the watch of the one before ends, and the new one starts when the domain watches at all.</summary>
    public static async Task StartAsync(
        UnitOfWork uow, string domain, string version, string? previous, RollbackThresholds limits, string how, string actor, DateTime now, CancellationToken ct)
    {
        await EndAsync(uow, domain, $"{version} became stable ({how})", actor, ct);
        if (PromotionWatch.Start(version, previous, now, limits, how) is not { } watch) return;
        await SaveAsync(uow, domain, watch, Array.Empty<object>(), ct);
        await AuditLog.WriteAsync(uow, actor, EntityType, domain, "start", null, watch, ct, watch.LastReason);
    }

    /// <summary>Another traffic move ends a running watch (audited); a finished one stays as it is.</summary>
    public static async Task EndAsync(UnitOfWork uow, string domain, string reason, string actor, CancellationToken ct)
    {
        if (await FindAsync(uow, domain, lockRow: true, ct) is not { } current || !current.State.IsWatching) return;
        var ended = PromotionWatch.End(current.State, reason);
        await SaveAsync(uow, domain, ended, null, ct);
        await AuditLog.WriteAsync(uow, actor, EntityType, domain, "end", current with { Figures = null }, ended, ct, ended.LastReason);
    }

    /// <summary>Records a rollback in the domain's history and publishes it (RollbackPerformed), in the change's transaction.</summary>
    public static async Task RecordRollbackAsync(UnitOfWork uow, RollbackPerformed evt, string actor, CancellationToken ct)
    {
        await uow.ExecuteAsync("""
            INSERT INTO rollbacks (domain_id, type, from_version, to_version, reason, rollout_id, actor)
            VALUES (@Domain, @Type, @FromVersion, @ToVersion, @Reason, @RolloutId, @actor)
            """, new { evt.Domain, Type = evt.Type ?? RollbackTypes.Manual, evt.FromVersion, evt.ToVersion, evt.Reason, evt.RolloutId, actor }, ct);
        await uow.PublishAsync(evt, ct);
    }

    public static Task<ScheduledRollbackView?> ScheduledAsync(UnitOfWork uow, string domain, CancellationToken ct) =>
        uow.QuerySingleOrDefaultAsync<ScheduledRollbackView>(
            "SELECT version, reason, actor, at, created_at AS CreatedAt FROM scheduled_rollbacks WHERE domain_id = @domain FOR UPDATE", new { domain }, ct);

    public static async Task<ScheduledRollbackView?> ScheduledAsync(NpgsqlDataSource db, string domain, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ScheduledRollbackView>(new CommandDefinition(
            "SELECT version, reason, actor, at, created_at AS CreatedAt FROM scheduled_rollbacks WHERE domain_id = @domain", new { domain }, cancellationToken: ct));
    }

    public static async Task<IReadOnlyList<RollbackView>> RollbacksAsync(NpgsqlDataSource db, string domain, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<RollbackView>(new CommandDefinition(
            $"SELECT {RollbackColumns} FROM rollbacks WHERE domain_id = @domain ORDER BY id DESC LIMIT @limit", new { domain, limit }, cancellationToken: ct))).AsList();
    }

    private sealed record WatchRow
    {
        public string Version { get; init; } = "";
        public string PreviousVersion { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTime StartedAt { get; init; }
        public DateTime Until { get; init; }
        public DateTime BaselineFrom { get; init; }
        public int FailedChecks { get; init; }
        public string? LastVerdict { get; init; }
        public string LastReason { get; init; } = "";
        public DateTime? LastCheckedAt { get; init; }
        public string? RollbackType { get; init; }
        public string FiguresJson { get; init; } = "[]";
        public int Revision { get; init; }

        public WatchView ToView() => new()
        {
            Version = Version, PreviousVersion = PreviousVersion, Status = Enum.Parse<WatchStatus>(Status), StartedAt = StartedAt, Until = Until, BaselineFrom = BaselineFrom,
            FailedChecks = FailedChecks, LastVerdict = LastVerdict, LastReason = LastReason, LastCheckedAt = LastCheckedAt, RollbackType = RollbackType,
            Figures = JsonDocument.Parse(FiguresJson).RootElement.Clone(), Revision = Revision,
        };
    }
}
