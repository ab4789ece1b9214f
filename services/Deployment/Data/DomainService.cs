using System.ComponentModel.DataAnnotations;
using Dapper;
using DomainPlatform.Deployment.Domain;
using DomainPlatform.EventBus;
using Npgsql;

namespace DomainPlatform.Deployment.Data;

public sealed record DomainView
{
    public string Id { get; init; } = "";
    [AllowedValues(DomainService.Active, DomainService.Archived)]
    public string Status { get; init; } = "active";
    public int Revision { get; init; }
    public DomainConfig Config { get; init; } = new();
    public string? ArchivedReason { get; init; }
    public DateTime? ArchivedAt { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

public sealed record DomainRevision
{
    public int Revision { get; init; }
    [AllowedValues(DomainService.Active, DomainService.Archived)]
    public string Status { get; init; } = "";
    public DomainConfig Config { get; init; } = new();
    public string Actor { get; init; } = "";
    public DateTime ChangedAt { get; init; }
}

public sealed record DomainFilter(string? Status, string? Team, string? Layer);

/// <summary>Domain lifecycle: create, patch (each change a revision), archive, delete, with audit and route table updates.</summary>
public sealed class DomainService(NpgsqlDataSource db, OutboxSignal signal, DomainCache cache)
{
    public const string Active = "active";
    public const string Archived = "archived";

    private const string Columns = """
        id, name, agent_id AS AgentId, layer, team, keywords, base_model AS BaseModel, max_tokens AS MaxTokens,
        status, revision, gates::text AS Gates, rollback::text AS Rollback, cache::text AS Cache, rollout::text AS Rollout,
        archived_reason AS ArchivedReason, archived_at AS ArchivedAt, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    public async Task<DomainView> CreateAsync(string? id, DomainConfig config, string actor, CancellationToken ct)
    {
        var errors = DomainRules.ValidateId(id);
        foreach (var (field, messages) in DomainRules.Validate(config)) errors[field] = messages;
        if (errors.Count > 0) throw DeploymentProblem.Invalid(errors);

        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var inserted = await uow.ExecuteAsync("""
            INSERT INTO domains (id, name, agent_id, layer, team, keywords, base_model, max_tokens, gates, rollback, cache, rollout)
            VALUES (@Id, @Name, @AgentId, @Layer, @Team, @Keywords, @BaseModel, @MaxTokens, @Gates::jsonb, @Rollback::jsonb, @Cache::jsonb, @Rollout::jsonb)
            ON CONFLICT (id) DO NOTHING
            """, Parameters(id!, config), ct);
        if (inserted == 0) throw DeploymentProblem.Conflict("Domain already exists", $"A domain with the id '{id}' already exists.");

        var created = (await FindAsync(uow, id!, lockRow: false, ct))!;
        await RecordRevisionAsync(uow, created, actor, ct);
        await AuditLog.WriteAsync(uow, actor, "domain", created.Id, "create", null, created, ct);
        await RouteTables.PublishAsync(uow, cache, ct);
        await uow.CommitAsync(ct);
        return created;
    }

    public async Task<DomainView> UpdateAsync(string id, DomainPatch patch, string actor, CancellationToken ct)
    {
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var before = await RequireAsync(uow, id, ct);
        if (before.Status == Archived) throw DeploymentProblem.Conflict("Domain is archived", $"'{id}' is archived; its configuration is kept as history and cannot change.");

        var config = DomainRules.Apply(before.Config, patch);
        var errors = DomainRules.Validate(config);
        if (errors.Count > 0) throw DeploymentProblem.Invalid(errors);
        if (DomainRules.SameConfig(config, before.Config)) return before;

        await uow.ExecuteAsync("""
            UPDATE domains SET name = @Name, agent_id = @AgentId, layer = @Layer, team = @Team, keywords = @Keywords, base_model = @BaseModel,
                max_tokens = @MaxTokens, gates = @Gates::jsonb, rollback = @Rollback::jsonb, cache = @Cache::jsonb, rollout = @Rollout::jsonb,
                revision = revision + 1, updated_at = now()
            WHERE id = @Id
            """, Parameters(id, config), ct);
        var after = (await FindAsync(uow, id, lockRow: false, ct))!;
        await RecordRevisionAsync(uow, after, actor, ct);
        await AuditLog.WriteAsync(uow, actor, "domain", id, "update", before, after, ct);
        // Keywords, cache settings and the token cap travel in the route table; other settings stay in deployment.
        if (!before.Config.Keywords.SequenceEqual(after.Config.Keywords) || before.Config.Cache != after.Config.Cache
            || before.Config.MaxTokens != after.Config.MaxTokens)
        {
            await RouteTables.PublishAsync(uow, cache, ct);
        }
        else uow.AfterCommit(cache.InvalidateAsync);
        await uow.CommitAsync(ct);
        return after;
    }

    public async Task<DomainView> ArchiveAsync(string id, string? reason, string actor, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(reason)) throw DeploymentProblem.Invalid("reason", "Archiving needs a reason.");
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var before = await RequireAsync(uow, id, ct);
        if (before.Status == Archived) throw DeploymentProblem.Conflict("Domain already archived", $"'{id}' was archived on {before.ArchivedAt:u}.");
        await RefuseWhileRolloutRunsAsync(uow, id, "archived", ct);

        await uow.ExecuteAsync("""
            UPDATE domains SET status = 'archived', archived_reason = @reason, archived_at = now(), revision = revision + 1, updated_at = now()
            WHERE id = @id
            """, new { id, reason }, ct);
        var after = (await FindAsync(uow, id, lockRow: false, ct))!;
        await RecordRevisionAsync(uow, after, actor, ct);
        await AuditLog.WriteAsync(uow, actor, "domain", id, "archive", before, after, ct, reason);
        await RouteTables.PublishAsync(uow, cache, ct);
        await uow.CommitAsync(ct);
        return after;
    }

    public async Task DeleteAsync(string id, bool force, string actor, CancellationToken ct)
    {
        await using var uow = await UnitOfWork.BeginAsync(db, signal, ct);
        var before = await RequireAsync(uow, id, ct);
        await RefuseWhileRolloutRunsAsync(uow, id, "deleted", ct);
        if (before.Status != Archived && !force)
        {
            throw DeploymentProblem.Conflict("Domain is active", $"'{id}' is active: archive it first, or delete with ?force=true.");
        }
        // Revisions and the audit log stay: deleting a domain does not erase its history.
        await uow.ExecuteAsync("DELETE FROM domains WHERE id = @id", new { id }, ct);
        await AuditLog.WriteAsync(uow, actor, "domain", id, force && before.Status != Archived ? "force-delete" : "delete", before, null, ct);
        if (before.Status == Active) await RouteTables.PublishAsync(uow, cache, ct);
        else uow.AfterCommit(cache.InvalidateAsync);
        await uow.CommitAsync(ct);
    }

    public Task<DomainView?> GetAsync(string id, CancellationToken ct) =>
        cache.GetOrLoadAsync($"domain:{id}", async () =>
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            var row = await connection.QuerySingleOrDefaultAsync<DomainRow>(new CommandDefinition(
                $"SELECT {Columns} FROM domains WHERE id = @id", new { id }, cancellationToken: ct));
            return row?.ToView();
        });

    public async Task<IReadOnlyList<DomainView>> ListAsync(DomainFilter filter, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<DomainRow>(new CommandDefinition($"""
            SELECT {Columns} FROM domains
            WHERE (@Status::text IS NULL OR status = @Status) AND (@Team::text IS NULL OR team = @Team) AND (@Layer::text IS NULL OR layer = @Layer)
            ORDER BY id
            """, filter, cancellationToken: ct));
        return rows.Select(r => r.ToView()).ToList();
    }

    public async Task<IReadOnlyList<DomainRevision>> RevisionsAsync(string id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<RevisionRow>(new CommandDefinition("""
            SELECT revision, status, config::text AS Config, actor, changed_at AS ChangedAt
            FROM domain_revisions WHERE domain_id = @id ORDER BY revision
            """, new { id }, cancellationToken: ct));
        return rows.Select(r => new DomainRevision { Revision = r.Revision, Status = r.Status, Config = Json.Deserialize<DomainConfig>(r.Config), Actor = r.Actor, ChangedAt = r.ChangedAt }).ToList();
    }

    /// <summary>The domain, locked for the rest of the transaction; 404 when absent.</summary>
    public static async Task<DomainView> RequireAsync(UnitOfWork uow, string id, CancellationToken ct) =>
        await FindAsync(uow, id, lockRow: true, ct) ?? throw DeploymentProblem.NotFound("Domain", $"No domain has the id '{id}'.");

    public static async Task<DomainView?> FindAsync(UnitOfWork uow, string id, bool lockRow, CancellationToken ct)
    {
        var row = await uow.QuerySingleOrDefaultAsync<DomainRow>(
            $"SELECT {Columns} FROM domains WHERE id = @id" + (lockRow ? " FOR UPDATE" : ""), new { id }, ct);
        return row?.ToView();
    }

    private static async Task RefuseWhileRolloutRunsAsync(UnitOfWork uow, string id, string verb, CancellationToken ct)
    {
        var rollout = await uow.QuerySingleOrDefaultAsync<Guid?>(
            "SELECT id FROM rollouts WHERE domain_id = @id AND status IN ('Running', 'Paused')", new { id }, ct);
        if (rollout is { } rolloutId)
        {
            throw DeploymentProblem.Conflict("Rollout in progress", $"'{id}' cannot be {verb} while rollout {rolloutId} runs: abort it first.");
        }
    }

    private static Task RecordRevisionAsync(UnitOfWork uow, DomainView domain, string actor, CancellationToken ct) =>
        uow.ExecuteAsync("""
            INSERT INTO domain_revisions (domain_id, revision, config, status, actor) VALUES (@Id, @Revision, @config::jsonb, @Status, @actor)
            ON CONFLICT (domain_id, revision) DO UPDATE SET config = EXCLUDED.config, status = EXCLUDED.status, actor = EXCLUDED.actor, changed_at = now()
            """, new { domain.Id, domain.Revision, domain.Status, config = Json.Serialize(domain.Config), actor }, ct);

    private static object Parameters(string id, DomainConfig c) => new
    {
        Id = id, c.Name, c.AgentId, c.Layer, c.Team, Keywords = c.Keywords.ToArray(), c.BaseModel, c.MaxTokens,
        Gates = Json.Serialize(c.Gates), Rollback = Json.Serialize(c.Rollback), Cache = Json.Serialize(c.Cache), Rollout = Json.Serialize(c.Rollout),
    };

    private sealed record DomainRow
    {
        public string Id { get; init; } = "";
        public string Name { get; init; } = "";
        public string? AgentId { get; init; }
        public string? Layer { get; init; }
        public string? Team { get; init; }
        public string[] Keywords { get; init; } = [];
        public string? BaseModel { get; init; }
        public int MaxTokens { get; init; }
        public string Status { get; init; } = Active;
        public int Revision { get; init; }
        public string? Gates { get; init; }
        public string? Rollback { get; init; }
        public string? Cache { get; init; }
        public string? Rollout { get; init; }
        public string? ArchivedReason { get; init; }
        public DateTime? ArchivedAt { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }

        public DomainView ToView() => new()
        {
            Id = Id, Status = Status, Revision = Revision, ArchivedReason = ArchivedReason, ArchivedAt = ArchivedAt, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
            Config = new DomainConfig
            {
                Name = Name, AgentId = AgentId, Layer = Layer, Team = Team, Keywords = Keywords, BaseModel = BaseModel, MaxTokens = MaxTokens,
                Gates = Json.Deserialize<DeploymentGates>(Gates), Rollback = Json.Deserialize<RollbackThresholds>(Rollback), Cache = Json.Deserialize<CacheSettings>(Cache),
                Rollout = Json.Deserialize<RolloutDefaults>(Rollout),
            },
        };
    }

    private sealed record RevisionRow
    {
        public int Revision { get; init; }
        public string Status { get; init; } = "";
        public string Config { get; init; } = "";
        public string Actor { get; init; } = "";
        public DateTime ChangedAt { get; init; }
    }
}
