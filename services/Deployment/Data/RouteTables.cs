using DomainPlatform.Contracts.Events;
using DomainPlatform.Deployment.Domain;
using Npgsql;
using Dapper;

namespace DomainPlatform.Deployment.Data;

public sealed record RouteTableSnapshot
{
    public long Revision { get; init; }
    public IReadOnlyList<DomainRoute> Domains { get; init; } = [];
}

/// <summary>Builds, versions and publishes the route table; every change that moves traffic calls <see cref="PublishAsync"/>.</summary>
public sealed class RouteTables(NpgsqlDataSource db, DomainCache cache)
{
    private const string ServingQuery = """
        SELECT d.id AS Domain, d.keywords AS Keywords, d.cache::text AS CacheJson, d.max_tokens AS MaxTokens, d.created_at AS CreatedAt, p.stable_version AS StableVersion, p.canary_version AS CanaryVersion,
               COALESCE(p.canary_weight, 0) AS CanaryWeight, p.rollout_id AS RolloutId,
               e.experiment_id AS ExperimentId, e.phase AS ExperimentPhase, e.status AS ExperimentStatus, e.arms::text AS ExperimentArms,
               e.occurred_at AS ExperimentOccurredAt
        FROM domains d LEFT JOIN deployments p ON p.domain_id = d.id LEFT JOIN experiment_routes e ON e.domain_id = d.id
        WHERE d.status = 'active'
        """;

    /// <summary>The model versions the domain's route sends traffic to now (committed state).</summary>
    public static async Task<IReadOnlyList<string>> ServedVersionsAsync(NpgsqlDataSource db, string domain, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<ServingRow>(new CommandDefinition(ServingQuery + " AND d.id = @domain", new { domain }, cancellationToken: ct))).AsList();
        return rows.Count == 0 ? [] : RouteTableBuilder.ServedVersions(rows[0].ToServing());
    }

    /// <summary>What serves one domain, as this transaction sees it (null for an unknown or archived domain).</summary>
    public static async Task<DomainServing?> ServingAsync(UnitOfWork uow, string domain, CancellationToken ct)
    {
        var rows = await uow.QueryAsync<ServingRow>(ServingQuery + " AND d.id = @domain", new { domain }, ct);
        return rows.Count == 0 ? null : rows[0].ToServing();
    }

    /// <summary>The model versions the domain's route sends traffic to, as this transaction sees it.</summary>
    public static async Task<IReadOnlyList<string>> ServedVersionsAsync(UnitOfWork uow, string domain, CancellationToken ct) =>
        await ServingAsync(uow, domain, ct) is { } serving ? RouteTableBuilder.ServedVersions(serving) : [];

    /// <summary>Bumps the revision (the row lock orders concurrent changes) and writes RouteTableChanged to the outbox.</summary>
    public static async Task<RouteTableChanged> PublishAsync(UnitOfWork uow, DomainCache cache, CancellationToken ct)
    {
        var revision = await uow.ExecuteScalarAsync<long>("UPDATE route_table_state SET revision = revision + 1 WHERE id = 1 RETURNING revision", null, ct);
        var rows = await uow.QueryAsync<ServingRow>(ServingQuery, null, ct);
        var evt = new RouteTableChanged(revision, RouteTableBuilder.Build(rows.Select(r => r.ToServing())));
        await uow.PublishAsync(evt, ct);
        uow.AfterCommit(cache.InvalidateAsync);
        return evt;
    }

    public Task<RouteTableSnapshot?> CurrentAsync(CancellationToken ct) =>
        cache.GetOrLoadAsync<RouteTableSnapshot>("route-table", async () =>
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
            var revision = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT revision FROM route_table_state WHERE id = 1", transaction: tx, cancellationToken: ct));
            var rows = await connection.QueryAsync<ServingRow>(new CommandDefinition(ServingQuery, transaction: tx, cancellationToken: ct));
            return new RouteTableSnapshot { Revision = revision, Domains = RouteTableBuilder.Build(rows.Select(r => r.ToServing())) };
        });

    private sealed record ServingRow
    {
        public string Domain { get; init; } = "";
        public string[] Keywords { get; init; } = [];
        public string? CacheJson { get; init; }
        public int MaxTokens { get; init; }
        public DateTime CreatedAt { get; init; }
        public string? StableVersion { get; init; }
        public string? CanaryVersion { get; init; }
        public double CanaryWeight { get; init; }
        public Guid? RolloutId { get; init; }
        public Guid? ExperimentId { get; init; }
        public int ExperimentPhase { get; init; }
        public string? ExperimentStatus { get; init; }
        public string? ExperimentArms { get; init; }
        public DateTime ExperimentOccurredAt { get; init; }

        public DomainServing ToServing() => new(Domain, Keywords, StableVersion, CanaryVersion, CanaryWeight, RolloutId,
            ExperimentId is { } id
                ? new ExperimentSplit(id, ExperimentPhase, ExperimentStatus ?? "", Json.Deserialize<List<ExperimentArm>>(ExperimentArms),
                    DateTime.SpecifyKind(ExperimentOccurredAt, DateTimeKind.Utc))
                : null,
            CacheJson is { Length: > 0 } cache ? Json.Deserialize<CacheSettings>(cache) : null,
            MaxTokens, new DateTimeOffset(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc)));
    }
}
